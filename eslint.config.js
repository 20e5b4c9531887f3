// ESLint for the browser code (`make lint`). The scripts are classic <script>s, not modules.
const js = require('@eslint/js');
const globals = require('globals');

module.exports = [
  {
    ignores: [
      'node_modules/',
      '.venv/',
      '.chalice/',
      'outbox/',
      'test-artifacts/',
      'bench/results/',
      // Built from embed/src/ (make embed, make embed/letterbox-age.js), or the ALTCHA widget as npm ships it.
      'embed/letterbox.js',
      'embed/letterbox-files.js',
      'embed/letterbox-wall.js',
      'embed/letterbox-age.js',
      'embed/altcha.js',
      'embed/altcha-*.js',
    ],
  },
  js.configs.recommended,
  { files: ['**/*.js'], languageOptions: { ecmaVersion: 'latest', sourceType: 'script', globals: globals.browser } },
  { files: ['embed/src/letterbox-age.js'], languageOptions: { sourceType: 'module' } },
  { files: ['eslint.config.js'], languageOptions: { sourceType: 'commonjs', globals: globals.node } },
];
