// Figure: the round trip bot -> workflow -> field -> bot against a real n8n, split into the server's share and n8n's.
// The bundled lead qualifier fires lead_scoring on a contact's budget and timeline and waits for lead_score; n8n runs
// the documented Lead Scoring workflow (docs/workflows/lead-scoring.json: AI Agent Trigger, Score Lead, Store Score,
// ...), whose Store Score node writes lead_score; the agent's reply reads it. Per round trip, from timestamps:
//   server, turn:      the contact's message sent -> the event committed (its delivery row's createdAt)
//   relay and intake:  the event committed -> n8n answered the relay's POST (the relay's log line of the attempt):
//                      the relay's claim and POST and n8n's webhook intake, not split further
//   n8n:               POST answered -> the Store Score request reaches the server, less the server's time answering
//                      Score Lead's request (from the server's request log); n8n's trigger node start splits it
//   server, answer:    Score Lead's request, and Store Score's request reaching the server -> the reply received
// The agent server runs as its own process (logging as deployed); n8n is installed and started as the end-to-end
// suite does (cached under ~/.cache/agent-bridge), or an n8n given by N8N_URL and N8N_API_KEY (with the package installed).
// Run: npx tsx bench/n8n-round-trip.ts [round trips=10]
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnAgentServer, type AgentServerProcess } from '../test/support/agent-server-process';
import { N8nApi, packPackage, startN8n, stopN8n, waitFor, type Execution } from '../test/e2e/support/n8n';
import { readWorkflow } from '../test/e2e/support/scenario';
import { LEAD_MESSAGES, msSince, percentile, table } from './measure';

const TRIPS = Number(process.argv[2] ?? 10);
const N8N_VERSION = process.env.N8N_VERSION ?? '2.40.7';

interface LogLine {
	time: number;
	reqId?: string;
	msg: string;
	eventId?: string;
	req?: { method: string; url: string };
	responseTime?: number;
}

interface Trip {
	totalMs: number;
	turnMs: number;
	relayMs: number;
	n8nStartMs: number;
	n8nMs: number;
	serverInsideMs: number;
	answerMs: number;
}

/** The server's requests (arrival time and time to answer) whose URL contains `part`, in arrival order. */
function requestsFor(lines: LogLine[], part: string) {
	// One log line per request, at its end: it arrived its response time earlier.
	return lines
		.filter((l) => l.msg === 'request completed' && l.req?.url.includes(part))
		.map((l) => ({ method: l.req!.method, url: l.req!.url, at: l.time - (l.responseTime ?? 0), responseTime: l.responseTime ?? NaN }))
		.sort((a, b) => a.at - b.at);
}

/** n8n's record of when a node of an execution started (ms since the epoch). */
function nodeStart(execution: Execution, node: string): number {
	const runs = (execution.data?.resultData?.runData?.[node] ?? []) as unknown as { startTime: number }[];
	if (!runs.length) throw new Error(`execution ${execution.id} did not run ${node}`);
	return runs[0].startTime;
}

async function main() {
	const given = process.env.N8N_URL && process.env.N8N_API_KEY ? { url: process.env.N8N_URL, apiKey: process.env.N8N_API_KEY } : undefined;
	const started = given ? undefined : await startN8n(N8N_VERSION, packPackage(), 'n8n-bench');
	const instance = given ?? started!;
	const n8n = new N8nApi(instance);
	let server: AgentServerProcess | undefined;
	let workflowId: string | undefined;
	try {
		server = await spawnAgentServer({ runner: 'node', cwd: mkdtempSync(path.join(tmpdir(), 'agent-bridge-n8n-bench-')), apiKey: `ab_bench_${Date.now()}` });
		const bridge = server;
		const credential = await n8n.createCredential(`Agent Bridge bench ${Date.now()}`, 'agentBridgeApi', { serverUrl: bridge.url, apiKey: bridge.apiKey });
		workflowId = (await n8n.importWorkflow(readWorkflow('lead-scoring.json', { CREDENTIAL_ID: credential.id }))).id;
		await n8n.activate(workflowId);
		await waitFor(async () => (await bridge.api('GET', '/v1/subscriptions')).body.data.length === 1, 60_000, 'the trigger to subscribe');

		// One round trip per new conversation: the first message, then budget and timeline, which fire lead_scoring.
		// (On a very busy machine the extraction's time budget may skip a field; that conversation is not counted.)
		const sent: { contactId: string; t0: number; t1: number }[] = [];
		let fired = 0;
		for (let attempt = 0; fired < TRIPS + 1 && attempt < 3 * (TRIPS + 1); attempt++) {
			const first = await bridge.api('POST', '/v1/chat', { agentId: 'lead-qualifier', text: LEAD_MESSAGES[0] });
			const t0 = Date.now();
			const start = process.hrtime.bigint();
			const second = await bridge.api('POST', '/v1/chat', { agentId: 'lead-qualifier', text: LEAD_MESSAGES[1], conversationId: first.body.conversation.id });
			const t1 = t0 + msSince(start);
			if (second.status !== 200) throw new Error(`chat answered ${second.status}: ${JSON.stringify(second.body)}`);
			if (!second.body.waited) continue;
			if (fired++ > 0) sent.push({ contactId: first.body.contact.id, t0, t1 }); // the first warms n8n's workflow up
		}
		if (fired < TRIPS + 1) throw new Error(`lead_scoring fired in ${fired} of ${3 * (TRIPS + 1)} conversations`);

		let executions: Execution[] = [];
		await waitFor(async () => (executions = (await n8n.executions(workflowId!)).filter((e) => e.finished)).length >= fired, 60_000, 'the executions');
		const lines = bridge
			.output()
			.split('\n')
			.filter((l) => l.startsWith('{'))
			.map((l) => JSON.parse(l) as LogLine);
		const deliveries = (await bridge.api('GET', '/v1/deliveries?limit=1000')).body.data as { eventId: string; createdAt: string }[];

		const trips: Trip[] = sent.map(({ contactId, t0, t1 }) => {
			const execution = executions.find((e) => (e.data?.resultData?.runData?.['Lead Scoring Requested'] as any)?.[0]?.data?.main?.[0]?.[0]?.json?.contactId === contactId);
			if (!execution) throw new Error(`no execution for contact ${contactId}`);
			const trigger = (execution.data!.resultData!.runData!['Lead Scoring Requested'] as any)[0].data.main[0][0].json;
			const committed = Date.parse(deliveries.find((d) => d.eventId === trigger.eventId)!.createdAt);
			const calls = requestsFor(lines, `/v1/contacts/${contactId}`);
			const score = calls.find((c) => c.url.endsWith('/score'));
			const store = calls.find((c) => c.method === 'PATCH' && c.at >= (score?.at ?? 0));
			if (!score || !store) throw new Error(`the workflow's requests for contact ${contactId} are not in the server log`);
			const triggerStart = nodeStart(execution, 'Lead Scoring Requested');
			const answered = lines.find((l) => l.msg === 'webhook delivery attempt' && l.eventId === trigger.eventId);
			if (!answered) throw new Error(`the relay's attempt for event ${trigger.eventId} is not in the server log`);
			return {
				totalMs: t1 - t0,
				turnMs: committed - t0,
				relayMs: answered.time - committed,
				n8nStartMs: triggerStart - answered.time,
				n8nMs: store.at - triggerStart - score.responseTime,
				serverInsideMs: score.responseTime,
				answerMs: t1 - store.at,
			};
		});
		report(trips);
	} finally {
		if (workflowId) await n8n.deactivate(workflowId).catch(() => undefined);
		await server?.kill('SIGTERM');
		if (started) stopN8n(started.pid);
	}
}

function report(trips: Trip[]) {
	const p50 = (pick: (t: Trip) => number) => percentile(trips.map(pick).sort((a, b) => a - b), 0.5);
	const server = (t: Trip) => t.turnMs + t.serverInsideMs + t.answerMs;
	const rows: [string, (t: Trip) => number][] = [
		['server: the turn, message to event committed', (t) => t.turnMs],
		["relay and n8n's intake: committed to the POST answered", (t) => t.relayMs],
		['n8n: POST answered to the trigger node started', (t) => t.n8nStartMs],
		["n8n: the workflow until Store Score's request (server time taken out)", (t) => t.n8nMs],
		["server: answering Score Lead's request", (t) => t.serverInsideMs],
		["server: Store Score's request to the reply received", (t) => t.answerMs],
		['**round trip**', (t) => t.totalMs],
	];
	console.log(`\nn8n-round-trip (round trips=${trips.length}, lead-qualifier and the Lead Scoring workflow)\n`);
	console.log(table(['segment', 'p50 ms', 'p50 share'], rows.map(([name, pick]) => [name, p50(pick).toFixed(1), `${((100 * p50(pick)) / p50((t) => t.totalMs)).toFixed(1)}%`])));
	const share = trips.map((t) => server(t) / t.totalMs).sort((a, b) => a - b);
	const withRelay = trips.map((t) => (server(t) + t.relayMs) / t.totalMs).sort((a, b) => a - b);
	console.log(`\nserver share (median over round trips): ${(100 * percentile(share, 0.5)).toFixed(1)}%; counting the relay and n8n's intake as the server's too: ${(100 * percentile(withRelay, 0.5)).toFixed(1)}%`);
	console.log(`ratio: ${percentile(share, 0.5).toFixed(3)} of the round trip is the server's`);
}

main().catch((error) => {
	console.error(error);
	process.exit(1);
});
