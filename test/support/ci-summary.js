// The closing summary of a CI run: failed tests with file and name, each project's time, what outlived its test
// environment (jest's own warnings, read from the run's output), and the line `N passed, N failed`.
// Exits 1 when a test environment was outlived, even if every test passed.
const { existsSync, readFileSync } = require('node:fs');

const [summaryFile, logFile] = process.argv.slice(2);
const summary = summaryFile && existsSync(summaryFile) ? JSON.parse(readFileSync(summaryFile, 'utf8')) : null;
const log = logFile && existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n') : [];

// Jest's warnings for work left running after a test file ended; each becomes an error here.
const OUTLIVED = [
	/after the Jest environment has been torn down/,
	/Cannot log after tests are done/,
	/A worker process has failed to exit gracefully/,
	/Jest did not exit one second after the test run has completed/,
	/Jest has detected the following \d+ open handles?/,
];
const outlived = [];
log.forEach((line, i) => {
	if (OUTLIVED.some((re) => re.test(line))) outlived.push(log.slice(i, i + 8).filter((l) => l.trim()).join('\n    '));
});

console.log('\n==== Test summary ====');
if (!summary) {
	console.log('jest wrote no summary (it did not get to run its tests)');
} else {
	for (const p of summary.projects) console.log(`${p.name.padEnd(10)} ${String(p.seconds).padStart(6)} s  ${p.files} files`);
	console.log(`${'all'.padEnd(10)} ${String(summary.seconds).padStart(6)} s`);
	if (summary.failedTests.length) {
		console.log('\nFailed tests:');
		for (const t of summary.failedTests) console.log(`  [${t.project}] ${t.file} › ${t.name}`);
	}
	if (summary.brokenFiles.length) {
		console.log('\nTest files that failed outside a test:');
		for (const f of summary.brokenFiles) console.log(`  [${f.project}] ${f.file}\n    ${f.message.split('\n').join('\n    ')}`);
	}
}
if (outlived.length) {
	console.log('\nWork that outlived its test environment (an error in CI):');
	for (const o of outlived) console.log(`  ${o}`);
}
console.log('');
if (summary) console.log(`${summary.passed} passed, ${summary.failed} failed`);
process.exit(outlived.length ? 1 : 0);
