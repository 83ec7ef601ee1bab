// With JEST_SUMMARY_FILE set (CI does), writes what a closing summary needs: each failed test with its file and full
// name, each project's time, the counts. A user's `npm test` runs without it.
const { writeFileSync } = require('node:fs');
const path = require('node:path');

class SummaryReporter {
	constructor(globalConfig) {
		this.rootDir = globalConfig.rootDir;
		this.projects = new Map(); // name -> { start, end, files }
		this.failed = [];
		this.brokenFiles = [];
	}

	onTestFileResult(test, result) {
		const name = test.context.config.displayName?.name ?? 'default';
		const project = this.projects.get(name) ?? { start: Infinity, end: 0, files: 0 };
		project.start = Math.min(project.start, result.perfStats.start || Date.now());
		project.end = Math.max(project.end, result.perfStats.end || Date.now());
		project.files += 1;
		this.projects.set(name, project);
		const file = path.relative(this.rootDir, result.testFilePath);
		for (const t of result.testResults) if (t.status === 'failed') this.failed.push({ project: name, file, name: t.fullName });
		// A file that failed outside any test (a hook, an import, a leak check) has no failed test to name.
		if (result.testExecError || (result.failureMessage && !result.testResults.some((t) => t.status === 'failed'))) {
			this.brokenFiles.push({ project: name, file, message: String(result.testExecError?.message ?? result.failureMessage).split('\n').slice(0, 6).join('\n') });
		}
	}

	onRunComplete(_contexts, results) {
		const file = process.env.JEST_SUMMARY_FILE;
		if (!file) return;
		const projects = [...this.projects].map(([name, p]) => ({ name, seconds: Math.round((p.end - p.start) / 1000), files: p.files }));
		writeFileSync(file, JSON.stringify({
			passed: results.numPassedTests,
			failed: results.numFailedTests,
			failedSuites: results.numFailedTestSuites,
			seconds: Math.round((Date.now() - results.startTime) / 1000),
			projects,
			failedTests: this.failed,
			brokenFiles: this.brokenFiles,
		}, null, 2));
	}
}

module.exports = SummaryReporter;
