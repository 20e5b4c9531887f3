// The demo pages' "copy this snippet" buttons. Not part of letterbox.js.
document.querySelectorAll('[data-copy]').forEach((button) => {
  button.addEventListener('click', async () => {
    const code = document.getElementById(button.dataset.copy);
    const status = document.getElementById(button.dataset.copy + '-status');
    const ru = document.documentElement.lang === 'ru';
    try {
      await navigator.clipboard.writeText(code.textContent);
      status.textContent = ru ? 'Скопировано.' : 'Copied.';
    } catch {
      getSelection().selectAllChildren(code);
      status.textContent = ru ? 'Выделено: нажмите Ctrl+C.' : 'Selected: press Ctrl+C to copy.';
    }
  });
});
