// `gulp build`: the n8n package's build, which n8n's CLI (`n8n-node build`) now does: TypeScript and the icons.
const { execFileSync } = require('node:child_process');
const path = require('node:path');

exports.build = function build(done) {
	execFileSync(process.execPath, [path.join(__dirname, 'scripts', 'n8n-package.js'), 'build'], { stdio: 'inherit' });
	done();
};
exports.default = exports.build;
