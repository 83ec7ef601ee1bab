// Workspace agents over the API: create, replace, delete and read, with the same validation as agent files.
// File agents (shared, or in the workspace's own folder) change only in version control.
import type { AppContext } from '../context';
import { idleMinutes } from '../conversations/sweeper';
import { validateAgentConfig, type AgentConfig } from '../engine/agent-config';
import { AGENTS_PER_WORKSPACE } from '../limits';
import { countStoredAgents, deleteStoredAgent, getStoredAgent, insertStoredAgent, listStoredAgents, updateStoredAgent, type StoredAgent } from '../store/agents';
import type { AgentSource } from './registry';
import { lockWorkspace } from '../store/workspaces';
import { HttpError, notFound } from '../util/http-error';
import { agentView, type AgentView } from './view';

/** An API agent also shows the config as submitted (what PUT takes back) and when it was written. */
export type AgentDetail = AgentView & Partial<Pick<StoredAgent, 'config' | 'createdAt' | 'updatedAt'>>;

type ConfigBody = Record<string, unknown>;

const fileAgentMessage = (id: string) => `agent ${id} is defined in a file; change it in version control`;

function validated(config: ConfigBody): AgentConfig {
	const result = validateAgentConfig(config);
	if (!result.ok) throw new HttpError(400, `invalid agent config: ${result.errors.join('; ')}`);
	return result.agent;
}

function detail(agent: AgentConfig, stored: StoredAgent): AgentDetail {
	return { ...agentView(agent, 'api'), config: stored.config, createdAt: stored.createdAt, updatedAt: stored.updatedAt };
}

/**
 * The workspace's own API agent; the id of a file agent it can use is a 409 that says where to change it, anything
 * else a 404. The workspace's own files come first: they win over an API agent of the same id.
 */
async function ownAgentOrThrow(ctx: AppContext, workspaceId: string, agentId: string): Promise<StoredAgent> {
	if (ctx.fileAgents.ownedBy(workspaceId).get(agentId)) throw new HttpError(409, fileAgentMessage(agentId));
	const stored = await getStoredAgent(ctx.store.db, workspaceId, agentId);
	if (stored) return stored;
	if (ctx.fileAgents.shared.get(agentId)) throw new HttpError(409, fileAgentMessage(agentId));
	throw notFound('agent', agentId);
}

export async function listAgents(ctx: AppContext, workspaceId: string): Promise<AgentView[]> {
	const agents = await ctx.agentsFor(workspaceId);
	return agents.list().map((agent) => agentView(agent, agents.source(agent.id) ?? 'file'));
}

export async function getAgent(ctx: AppContext, workspaceId: string, agentId: string): Promise<AgentDetail> {
	const agents = await ctx.agentsFor(workspaceId);
	const agent = agents.get(agentId);
	if (!agent) throw notFound('agent', agentId);
	if (agents.source(agentId) === 'file') return agentView(agent, 'file');
	const stored = await getStoredAgent(ctx.store.db, workspaceId, agentId);
	return stored ? detail(agent, stored) : agentView(agent, 'api');
}

export async function createAgent(ctx: AppContext, workspaceId: string, config: ConfigBody): Promise<AgentDetail> {
	const agent = validated(config);
	if (ctx.fileAgents.shared.get(agent.id) || ctx.fileAgents.ownedBy(workspaceId).get(agent.id)) throw new HttpError(409, `${fileAgentMessage(agent.id)}; pick another id for this workspace's agent`);
	const stored = await ctx.store.db.transaction().execute(async (trx) => {
		await lockWorkspace(trx, workspaceId);
		if ((await countStoredAgents(trx, workspaceId)) >= AGENTS_PER_WORKSPACE) {
			throw new HttpError(409, `a workspace has at most ${AGENTS_PER_WORKSPACE} agents of its own; delete one first`);
		}
		return insertStoredAgent(trx, workspaceId, { id: agent.id, config, idleMinutes: idleMinutes(agent) });
	});
	if (!stored) throw new HttpError(409, `agent ${agent.id} already exists in this workspace; replace it with PUT /v1/agents/${agent.id}`);
	ctx.agentsChanged(workspaceId);
	return detail(agent, stored);
}

/** Replaces the whole config; the body may leave `id` out, but cannot change it. */
export async function replaceAgent(ctx: AppContext, workspaceId: string, agentId: string, body: ConfigBody): Promise<AgentDetail> {
	await ownAgentOrThrow(ctx, workspaceId, agentId);
	const config = body.id === undefined ? { ...body, id: agentId } : body;
	if (config.id !== agentId) throw new HttpError(400, `invalid agent config: id: must be ${agentId}, the id in the URL (an agent's id cannot change)`);
	const agent = validated(config);
	const stored = await updateStoredAgent(ctx.store.db, workspaceId, { id: agentId, config, idleMinutes: idleMinutes(agent) });
	// Deleted by a concurrent request between the check and the write.
	if (!stored) throw notFound('agent', agentId);
	ctx.agentsChanged(workspaceId);
	return detail(agent, stored);
}

/** Conversations with the agent stay readable; new contact messages to it answer 404 (see docs/agents.md). */
export async function deleteAgent(ctx: AppContext, workspaceId: string, agentId: string): Promise<void> {
	await ownAgentOrThrow(ctx, workspaceId, agentId);
	if (!(await deleteStoredAgent(ctx.store.db, workspaceId, agentId))) throw notFound('agent', agentId);
	ctx.agentsChanged(workspaceId);
}

export interface AgentValidation {
	agentId: string;
	name: string | null;
	source: AgentSource;
	/** Whether conversations can use it: a valid config, not hidden by a file agent of the same id. */
	inUse: boolean;
	/** What is wrong with it, one line each (the messages `agents validate` and POST /v1/agents give). */
	errors: string[];
}

/**
 * Every agent of the workspace with its problems. File agents were validated at start (the server refuses bad ones);
 * an API agent a newer schema rejects, or one a workspace file of the same id hides, is listed with why it is not used.
 */
export async function validateWorkspaceAgents(ctx: AppContext, workspaceId: string): Promise<AgentValidation[]> {
	const agents = await ctx.agentsFor(workspaceId);
	const files = agents
		.list()
		.filter((a) => agents.source(a.id) === 'file')
		.map((a): AgentValidation => ({ agentId: a.id, name: a.name, source: 'file', inUse: true, errors: [] }));
	const ownFiles = ctx.fileAgents.ownedBy(workspaceId);
	const stored = (await listStoredAgents(ctx.store.db, workspaceId)).map((row): AgentValidation => {
		const result = validateAgentConfig(row.config);
		if (!result.ok) return { agentId: row.id, name: typeof row.config.name === 'string' ? row.config.name : null, source: 'api', inUse: false, errors: result.errors };
		if (ownFiles.get(row.id)) return { agentId: row.id, name: result.agent.name, source: 'api', inUse: false, errors: [`not used: the workspace's agent file with id "${row.id}" takes its place`] };
		return { agentId: row.id, name: result.agent.name, source: 'api', inUse: true, errors: [] };
	});
	return [...files, ...stored];
}
