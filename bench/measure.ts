// Shared measurement for the benchmarks: a fixed number of operations at a fixed concurrency, latency percentiles
// and the memory the process grew by, reported next to a reference measured in the same run.

export interface Measurement {
	name: string;
	opsPerSecond: number;
	p50Ms: number;
	p95Ms: number;
	rssGrowthMb: number;
}

export async function measure<S extends object>(
	name: string,
	total: number,
	concurrency: number,
	op: (i: number, state: S) => Promise<void>,
): Promise<Measurement> {
	// Warm up both sides the same way so JIT and connection pools do not favour the second.
	await runLoop(Math.min(100, total), concurrency, op);
	global.gc?.();
	const rssBefore = process.memoryUsage().rss;
	const { latencies, seconds } = await runLoop(total, concurrency, op);
	const rssAfter = process.memoryUsage().rss;
	latencies.sort((a, b) => a - b);
	return {
		name,
		opsPerSecond: total / seconds,
		p50Ms: latencies[Math.floor(latencies.length * 0.5)],
		p95Ms: latencies[Math.floor(latencies.length * 0.95)],
		rssGrowthMb: (rssAfter - rssBefore) / 1024 / 1024,
	};
}

async function runLoop<S extends object>(total: number, concurrency: number, op: (i: number, state: S) => Promise<void>) {
	const latencies: number[] = [];
	let next = 0;
	const started = process.hrtime.bigint();
	const workers = Array.from({ length: concurrency }, async () => {
		const state = {} as S;
		let local = 0;
		while (next < total) {
			next++;
			const t0 = process.hrtime.bigint();
			await op(local++, state);
			latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
		}
	});
	await Promise.all(workers);
	return { latencies, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

export function report(figure: string, settings: Record<string, number>, reference: Measurement, subject: Measurement): void {
	const ms = (value: number) => (Number.isNaN(value) ? '-' : value.toFixed(2));
	const row = (m: Measurement) =>
		`| ${m.name} | ${m.opsPerSecond.toFixed(0)} | ${ms(m.p50Ms)} | ${ms(m.p95Ms)} | ${m.rssGrowthMb.toFixed(1)} |`;
	console.log(`\n${figure} (${Object.entries(settings).map(([k, v]) => `${k}=${v}`).join(', ')})\n`);
	console.log('| what | ops/s | p50 ms | p95 ms | RSS growth MB |');
	console.log('| --- | --- | --- | --- | --- |');
	console.log(row(reference));
	console.log(row(subject));
	console.log(`\nratio: ${(subject.opsPerSecond / reference.opsPerSecond).toFixed(3)} of the reference's throughput`);
}

/** Latency percentile of an ascending list (q in 0..1). */
export function percentile(sorted: number[], q: number): number {
	return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] : NaN;
}

/** A markdown table: a header row and the rows, cells as given. */
export function table(header: string[], rows: (string | number)[][]): string {
	return [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

/** Messages of a three-turn lead qualification (service; budget and timeline, which fire lead_scoring; follow-up). */
export const LEAD_MESSAGES = ["Hi, I'm Dana and I need a new website", "Our budget is $25,000 and we'd like to launch within 1 month", 'So, what happens next?'];

/** One chat turn over HTTP; resolves with the conversation's id. */
export async function chatTurn(url: string, apiKey: string, text: string, conversationId?: string): Promise<string> {
	const res = await fetch(`${url}/v1/chat`, {
		method: 'POST',
		headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
		body: JSON.stringify({ agentId: 'lead-qualifier', text, ...(conversationId ? { conversationId } : {}) }),
	});
	if (res.status !== 200) throw new Error(`chat answered ${res.status}: ${await res.text()}`);
	return ((await res.json()) as { conversation: { id: string } }).conversation.id;
}

/** Milliseconds since t0 (from process.hrtime.bigint()). */
export const msSince = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;

/** Runs op(0..total-1) with `concurrency` in flight. */
export async function inParallel(total: number, concurrency: number, op: (i: number) => Promise<void>): Promise<void> {
	let next = 0;
	await Promise.all(Array.from({ length: Math.min(concurrency, total) }, async () => {
		while (next < total) await op(next++);
	}));
}
