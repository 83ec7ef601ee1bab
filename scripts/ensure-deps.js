// Installs the locked dependencies on a fresh clone, so `npm start` and `npm test` work as the first command.
const { existsSync } = require('node:fs');
const { execSync } = require('node:child_process');
const path = require('node:path');

const root = path.join(__dirname, '..');
if (!existsSync(path.join(root, 'node_modules', '.package-lock.json'))) {
	execSync('npm ci --no-audit --no-fund', { cwd: root, stdio: 'inherit' });
}
