// The source of embed/letterbox-age.js (make embed/letterbox-age.js): age encryption for the browser.
// letterbox-files.js loads the built file only when a supporter adds a file to an encrypted form.
import { Encrypter } from 'age-encryption';

// The file as age ciphertext to every organizer's key (what `age -d -i key.txt` opens): S3 never holds it in the clear.
export async function sealFile(recipients, file) {
  const encrypter = new Encrypter();
  for (const recipient of recipients) encrypter.addRecipient(recipient);
  const sealed = await encrypter.encrypt(new Uint8Array(await file.arrayBuffer()));
  return new Blob([sealed], { type: 'application/octet-stream' });
}
