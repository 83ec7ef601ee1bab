// The runner's reports: a readable one for people (each turn, what held, what did not and the timeline entries
// that explain it) and JUnit XML for CI systems.
import type { FileResult } from './runner';

export function textReport(file: FileResult): string {
	const lines: string[] = [file.file];
	if (file.error) {
		lines.push(`  ✗ the file did not run:`, ...file.error.split('\n').map((l) => `      ${l}`));
		return lines.join('\n');
	}
	for (const conv of file.conversations) {
		const turns = `${conv.turns.length} turn${conv.turns.length === 1 ? '' : 's'}`;
		lines.push(`  ${conv.ok ? '✓' : '✗'} ${conv.name} (${conv.agent}, ${turns}, ${conv.durationMs} ms)`);
		for (const turn of conv.turns) {
			lines.push(`    turn ${turn.index}: the contact ${turn.step}`);
			if (turn.reply !== null) lines.push(`      agent: ${JSON.stringify(turn.reply)}`);
			for (const w of turn.workflows) lines.push(`      workflow: ${w.workflow} answered ${w.eventType} ${w.eventId}${w.error ? ` and failed: ${w.error}` : ''}`);
			for (const check of turn.checks) {
				lines.push(`      ${check.ok ? '✓' : '✗'} ${check.label}${check.ok ? '' : ` — ${check.actual ?? 'did not hold'}`}`);
				for (const entry of check.explain) lines.push(`          timeline: ${entry}`);
			}
			if (turn.error) lines.push(`      ✗ ${turn.error}`);
		}
	}
	return lines.join('\n');
}

export function summary(files: FileResult[]): string {
	const convs = files.flatMap((f) => f.conversations);
	const failed = convs.filter((c) => !c.ok).length;
	const broken = files.filter((f) => f.error).length;
	const parts = [`${convs.length - failed} passed`, `${failed} failed`];
	if (broken) parts.push(`${broken} file${broken === 1 ? '' : 's'} did not run`);
	return `${parts.join(', ')} (${files.length} file${files.length === 1 ? '' : 's'})`;
}

const xml = (s: string) =>
	s
		.replace(/&/g, '&amp;')
		.replace(/</g, '&lt;')
		.replace(/>/g, '&gt;')
		.replace(/"/g, '&quot;')
		// XML 1.0 has no place for other control characters.
		// eslint-disable-next-line no-control-regex
		.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');

/** One testsuite per file, one testcase per conversation; a failure's text is the readable report of its turns. */
export function junitReport(files: FileResult[]): string {
	const out = ['<?xml version="1.0" encoding="UTF-8"?>'];
	const convs = files.flatMap((f) => f.conversations);
	const failures = convs.filter((c) => !c.ok).length;
	const errors = files.filter((f) => f.error).length;
	const seconds = (ms: number) => (ms / 1000).toFixed(3);
	const total = files.reduce((n, f) => n + f.durationMs, 0);
	out.push(`<testsuites name="agent-bridge test" tests="${convs.length + errors}" failures="${failures}" errors="${errors}" time="${seconds(total)}">`);
	for (const file of files) {
		const fileFailures = file.conversations.filter((c) => !c.ok).length;
		out.push(
			`  <testsuite name="${xml(file.file)}" tests="${file.conversations.length || 1}" failures="${fileFailures}" errors="${file.error ? 1 : 0}" time="${seconds(file.durationMs)}">`,
		);
		if (file.error) {
			out.push(`    <testcase classname="${xml(file.file)}" name="the file runs" time="0">`);
			out.push(`      <error message="${xml(file.error.split('\n')[0])}">${xml(file.error)}</error>`);
			out.push('    </testcase>');
		}
		for (const conv of file.conversations) {
			out.push(`    <testcase classname="${xml(file.file)}" name="${xml(conv.name)}" time="${seconds(conv.durationMs)}">`);
			if (!conv.ok) {
				const first = conv.turns.find((t) => t.error || t.checks.some((c) => !c.ok));
				const check = first?.checks.find((c) => !c.ok);
				const message = first ? `turn ${first.index}: ${first.error ?? `${check?.label} — ${check?.actual ?? 'did not hold'}`}` : 'failed';
				const body = textReport({ file: file.file, conversations: [conv], durationMs: conv.durationMs });
				out.push(`      <failure message="${xml(message)}">${xml(body)}</failure>`);
			}
			out.push('    </testcase>');
		}
		out.push('  </testsuite>');
	}
	out.push('</testsuites>');
	return `${out.join('\n')}\n`;
}
