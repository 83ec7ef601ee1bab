// Runs conversation test files against an in-process server (SQLite in memory): each step through the HTTP API, the
// simulated workflows answering its events, then the expectations checked on what the server shows.
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../app';
import { BUNDLED_AGENTS_DIR } from '../agents/agent-files';
import type { Engine } from '../engine/types';
import { apiClient, expectOk, type ApiCall } from './api-client';
import type { AgentConfig } from '../engine/agent-config';
import { checkTurn, type CheckResult, type MessageView, type TimelineEntry, type TurnState } from './expectations';
import { parseTestFile, TEST_FILE, type Conversation, type TestFile, type Turn } from './format';
import { linkN8n, type N8nOptions } from './n8n-link';
import { startSimulatedWorkflows, type SimulatedWorkflow, type WorkflowRun } from './simulated-workflows';

export interface RunOptions {
	engine: Engine;
	/** Where the agents are; default the test file's folder (plus the bundled agents). */
	agentsDir?: string;
	/** How long one step may take to settle (the turn, the workflows it started and what they caused). */
	settleTimeoutMs?: number;
	/** Real workflows in n8n answer instead of the simulated ones. */
	n8n?: N8nOptions;
	/** Called after each conversation while its server still runs (to look at it through the API). */
	afterConversation?: (call: ApiCall, result: ConversationResult) => Promise<void>;
}

export interface TurnResult {
	/** 1-based. */
	index: number;
	/** `says "..."` or `ends the conversation`, after "the contact". */
	step: string;
	reply: string | null;
	checks: CheckResult[];
	workflows: WorkflowRun[];
	/** The step itself failed (the server refused it, a workflow's call back was refused, it never settled). */
	error?: string;
}

export interface ConversationResult {
	name: string;
	agent: string;
	ok: boolean;
	durationMs: number;
	turns: TurnResult[];
	conversationId?: string;
}

export interface FileResult {
	file: string;
	conversations: ConversationResult[];
	/** The file could not be read or its server could not start: nothing ran. */
	error?: string;
	durationMs: number;
}

/** The test files under the given files and folders (recursively, `*.test.yaml` / `*.test.yml`), sorted. */
export function findTestFiles(paths: string[]): string[] {
	const found: string[] = [];
	const walk = (p: string) => {
		if (!existsSync(p)) throw new Error(`${p}: no such file or folder`);
		if (statSync(p).isFile()) return void found.push(p);
		for (const name of readdirSync(p).sort()) {
			if (name === 'node_modules' || name.startsWith('.')) continue;
			const child = path.join(p, name);
			if (statSync(child).isDirectory()) walk(child);
			else if (TEST_FILE.test(name)) found.push(child);
		}
	};
	for (const p of paths) walk(p);
	return [...new Set(found)];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The agents a file runs against: its folder's agent files beside the bundled ones (the bundled folder just once). */
function agentsDirFor(file: string, given?: string): string | undefined {
	const dir = path.resolve(given ?? path.dirname(file));
	return dir === path.resolve(BUNDLED_AGENTS_DIR) ? undefined : dir;
}

/** Who answers the events: the simulated workflows, or the real ones in n8n. */
interface Answering {
	use(workflows: SimulatedWorkflow[]): void;
	/** Resolves when no workflow is running; true when none was. */
	idle(): Promise<boolean>;
	takeRuns(): WorkflowRun[];
	close(): Promise<void>;
}

interface Server {
	app: FastifyInstance;
	call: ApiCall;
	workflows: Answering;
	workspaceId: string;
	close(): Promise<void>;
}

async function simulated(call: ApiCall): Promise<Answering> {
	const workflows = await startSimulatedWorkflows(call);
	try {
		const sub = await expectOk(
			call('POST', '/v1/subscriptions', { url: workflows.url, events: ['agent.action.triggered', 'contact.tag.added', 'conversation.ended'] }),
			'subscribing the simulated workflows',
		);
		workflows.setSecret(sub.secret);
	} catch (err) {
		await workflows.close();
		throw err;
	}
	return workflows;
}

async function inN8n(app: FastifyInstance, call: ApiCall, n8n: N8nOptions): Promise<Answering> {
	await app.listen({ host: n8n.host, port: n8n.port });
	const link = await linkN8n(n8n, call);
	return {
		use: () => {},
		idle: async () => !(await link.running()),
		takeRuns: () => [],
		close: () => link.close(),
	};
}

async function startServer(file: string, options: RunOptions): Promise<Server> {
	const apiKey = options.n8n?.agentBridgeApiKey ?? `ab_${randomBytes(16).toString('hex')}`;
	const app = await buildApp({
		sqliteFile: ':memory:',
		agentsDir: agentsDirFor(file, options.agentsDir),
		engine: options.engine,
		apiKey,
		onGeneratedKey: () => {},
		relay: { pollIntervalMs: 20 },
		rateLimitPerMinute: 0,
		conversations: { sweepIntervalMs: 0 },
	});
	const call = apiClient(app, apiKey);
	let workflows: Answering;
	let workspaceId: string;
	try {
		workspaceId = (await expectOk(call('GET', '/v1/workspace'), 'reading the workspace')).id as string;
		workflows = options.n8n ? await inN8n(app, call, options.n8n) : await simulated(call);
	} catch (err) {
		await app.close();
		throw err;
	}
	return {
		app,
		call,
		workflows,
		workspaceId,
		async close() {
			// Real triggers unsubscribe while the server still answers.
			await workflows.close();
			await app.close();
		},
	};
}

/**
 * Waits until the step's consequences are done: no simulated workflow running and no delivery of the conversation
 * pending, twice in a row (a workflow's call back can queue new events).
 */
async function settle(server: Server, conversationId: string, timeoutMs: number, pauseMs: number): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	let quiet = 0;
	let entries = -1;
	while (quiet < 2) {
		if (Date.now() > deadline) throw new Error(`the turn did not settle within ${timeoutMs} ms (deliveries or workflows still running)`);
		const idle = await server.workflows.idle();
		const deliveries = await expectOk(server.call('GET', `/v1/conversations/${conversationId}/deliveries`), 'reading deliveries');
		const pending = (deliveries.data as { status: string }[]).some((d) => d.status === 'pending');
		// A workflow in n8n is seen only by what it does: the timeline must also stand still.
		const now = (await expectOk(server.call('GET', `/v1/conversations/${conversationId}`), 'reading the conversation')).timeline.length as number;
		quiet = idle && !pending && now === entries ? quiet + 1 : 0;
		entries = now;
		await sleep(pauseMs);
	}
}

interface Progress {
	conversationId?: string;
	contactId?: string;
	/** Timeline entries and messages seen before this step. */
	timelineSeen: number;
	messagesSeen: number;
}

async function startingContact(call: ApiCall, conv: Conversation): Promise<string | undefined> {
	if (!conv.contact) return undefined;
	const created = await expectOk(call('POST', '/v1/contacts', conv.contact), 'creating the starting contact');
	return created.id as string;
}

async function takeStep(server: Server, agentId: string, conv: Conversation, turn: Turn, p: Progress): Promise<{ reply: { id: string; text: string } | null }> {
	if (turn.say !== undefined) {
		const body = {
			agentId,
			text: turn.say,
			...(conv.channel ? { channel: conv.channel } : {}),
			...(p.conversationId ? { conversationId: p.conversationId } : p.contactId ? { contactId: p.contactId } : {}),
		};
		const answer = await expectOk(server.call('POST', '/v1/chat', body), 'the message');
		p.conversationId = answer.conversation.id;
		p.contactId = answer.contact.id;
		return { reply: answer.reply ?? null };
	}
	if (!p.conversationId) throw new Error('the conversation can only be ended after the contact said something');
	const outcome = turn.end?.outcome;
	await expectOk(server.call('POST', `/v1/conversations/${p.conversationId}/end`, outcome ? { outcome } : {}), 'ending the conversation');
	return { reply: null };
}

/** The workflows' answers to the step, as the report shows them; a call back the server refused fails the step. */
function workflowRuns(server: Server): WorkflowRun[] {
	const runs = server.workflows.takeRuns();
	const failed = runs.find((w) => w.error);
	if (failed) throw new Error(`simulated workflow "${failed.workflow}" (event ${failed.eventId}): ${failed.error}`);
	return runs;
}

/** What the server shows after the step, as the checks read it; moves the progress past this step. */
async function observe(server: Server, agent: AgentConfig, reply: { id: string; text: string } | null, p: Progress): Promise<TurnState> {
	const detail = await expectOk(server.call('GET', `/v1/conversations/${p.conversationId}`), 'reading the conversation');
	const contact = await expectOk(server.call('GET', `/v1/contacts/${detail.contactId}`), 'reading the contact');
	const messages = detail.messages as MessageView[];
	const state: TurnState = {
		agent,
		reply,
		later: messages.slice(p.messagesSeen).filter((m) => m.role !== 'contact' && m.id !== reply?.id),
		outbound: messages.filter((m) => m.role !== 'contact'),
		collected: detail.collected,
		contact,
		status: detail.status,
		outcome: detail.ending?.outcome ?? null,
		timeline: (detail.timeline as TimelineEntry[]).slice(p.timelineSeen),
	};
	p.timelineSeen = detail.timeline.length;
	p.messagesSeen = messages.length;
	return state;
}

const describeStep = (turn: Turn) =>
	turn.say !== undefined ? `says ${JSON.stringify(turn.say)}` : `ends the conversation${turn.end?.outcome ? ` (${turn.end.outcome})` : ''}`;

/** One turn: the step, its settling, the workflows' answers, then the checks on what the server shows. */
async function runTurn(server: Server, ctx: { agent: AgentConfig; conv: Conversation; options: RunOptions }, turn: Turn, tr: TurnResult, p: Progress): Promise<void> {
	if (tr.index === 1) p.contactId = await startingContact(server.call, ctx.conv);
	const { reply } = await takeStep(server, ctx.agent.id, ctx.conv, turn, p);
	tr.reply = reply?.text ?? null;
	await settle(server, p.conversationId!, ctx.options.settleTimeoutMs ?? 120_000, ctx.options.n8n ? 500 : 25);
	tr.workflows = workflowRuns(server);
	tr.checks = checkTurn(turn.expect, await observe(server, ctx.agent, reply, p));
}

async function runConversation(server: Server, file: TestFile, conv: Conversation, options: RunOptions): Promise<ConversationResult> {
	const started = Date.now();
	const agentId = (conv.agent ?? file.agent) as string;
	const result: ConversationResult = { name: conv.name, agent: agentId, ok: true, durationMs: 0, turns: [] };
	server.workflows.use([...(conv.workflows ?? []), ...(file.workflows ?? [])]);
	const p: Progress = { timelineSeen: 0, messagesSeen: 0 };
	const agent = (await server.app.agentBridge.agentsFor(server.workspaceId)).get(agentId);
	for (const [i, turn] of conv.turns.entries()) {
		const tr: TurnResult = { index: i + 1, step: describeStep(turn), reply: null, checks: [], workflows: [] };
		result.turns.push(tr);
		try {
			if (!agent) throw new Error(`no agent "${agentId}" among the agent files beside the test and the bundled agents`);
			await runTurn(server, { agent, conv, options }, turn, tr, p);
		} catch (err) {
			tr.error = (err as Error).message;
		}
		if (tr.error || tr.checks.some((c) => !c.ok)) result.ok = false;
		if (tr.error) break;
	}
	result.conversationId = p.conversationId;
	result.durationMs = Date.now() - started;
	return result;
}

/** Runs one file's conversations, one after the other, on one fresh server. */
export async function runTestFile(file: string, options: RunOptions): Promise<FileResult> {
	const started = Date.now();
	let parsed: TestFile;
	let server: Server;
	try {
		parsed = parseTestFile(readFileSync(file, 'utf8'), file);
		server = await startServer(file, options);
	} catch (err) {
		return { file, conversations: [], error: (err as Error).message, durationMs: Date.now() - started };
	}
	const conversations: ConversationResult[] = [];
	try {
		for (const conv of parsed.conversations) {
			const result = await runConversation(server, parsed, conv, options);
			conversations.push(result);
			await options.afterConversation?.(server.call, result);
		}
	} finally {
		await server.close();
	}
	return { file, conversations, durationMs: Date.now() - started };
}

export async function runTests(files: string[], options: RunOptions, onFile?: (result: FileResult) => void): Promise<FileResult[]> {
	const results: FileResult[] = [];
	for (const file of files) {
		const result = await runTestFile(file, options);
		onFile?.(result);
		results.push(result);
	}
	return results;
}

export const passed = (results: FileResult[]) => results.every((f) => !f.error && f.conversations.every((c) => c.ok));
