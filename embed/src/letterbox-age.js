// The source of embed/letterbox-age.js (make embed/letterbox-age.js): age encryption for the browser.
// letterbox-files.js loads the built file only when a supporter adds a file to an encrypted form.
import { Encrypter } from 'age-encryption';

// The file's bytes, encrypted to every organizer's key: what `age -d -i key.txt` opens.
export async function encryptTo(recipients, bytes) {
  const encrypter = new Encrypter();
  for (const recipient of recipients) encrypter.addRecipient(recipient);
  return encrypter.encrypt(bytes);
}
