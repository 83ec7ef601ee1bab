// Workspace agents over the API: create, replace, delete and read, with the same validation as agent files.
// File agents (shared, or in the workspace's own folder) change only in version control.
import type { AppContext } from '../context';
import { idleMinutes } from '../conversations/sweeper';
import { validateAgentConfig, type AgentConfig } from '../engine/agent-config';
import { AGENTS_PER_WORKSPACE } from '../limits';
import { countStoredAgents, deleteStoredAgent, getStoredAgent, insertStoredAgent, updateStoredAgent, type StoredAgent } from '../store/agents';
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
