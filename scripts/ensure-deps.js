// Makes `npm start` and `npm test` work as the first command on a fresh clone: installs the locked dependencies,
// and with --server builds the agent server (agent-server/dist) when it is missing or older than its sources.
const { existsSync, readdirSync, statSync } = require('node:fs');
const { execSync } = require('node:child_process');
const path = require('node:path');

const root = path.join(__dirname, '..');
if (!existsSync(path.join(root, 'node_modules', '.package-lock.json'))) {
	execSync('npm ci --no-audit --no-fund', { cwd: root, stdio: 'inherit' });
}

function newestUnder(dir) {
	return readdirSync(dir, { withFileTypes: true }).reduce((newest, entry) => {
		const full = path.join(dir, entry.name);
		return Math.max(newest, entry.isDirectory() ? newestUnder(full) : statSync(full).mtimeMs);
	}, 0);
}

if (process.argv.includes('--server')) {
	const server = path.join(root, 'agent-server');
	const built = path.join(server, 'dist', 'main.js');
	if (!existsSync(built) || statSync(built).mtimeMs < newestUnder(path.join(server, 'src'))) {
		execSync('npm run build:server', { cwd: root, stdio: 'inherit' });
	}
}
