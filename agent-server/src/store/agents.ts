// Workspace agents: agent configs a workspace manages over the API, one row per (workspace, agent id).
import { nowIso } from '../util/ids';
import { parseJson, toJson } from '../util/json';
import type { Queryable, WorkspaceAgentRow } from './schema';

export interface StoredAgent {
	id: string;
	/** The config as submitted (JSON object); validated on write and again when loaded. */
	config: Record<string, unknown>;
	createdAt: string;
	updatedAt: string;
}

function fromRow(row: WorkspaceAgentRow): StoredAgent {
	return { id: row.id, config: parseJson<Record<string, unknown>>(row.config, {}), createdAt: row.created_at, updatedAt: row.updated_at };
}

export async function listStoredAgents(db: Queryable, workspaceId: string): Promise<StoredAgent[]> {
	const rows = await db.selectFrom('workspace_agents').selectAll().where('workspace_id', '=', workspaceId).orderBy('created_at').orderBy('id').execute();
	return rows.map(fromRow);
}

export async function getStoredAgent(db: Queryable, workspaceId: string, id: string): Promise<StoredAgent | undefined> {
	const row = await db.selectFrom('workspace_agents').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst();
	return row ? fromRow(row) : undefined;
}

export async function countStoredAgents(db: Queryable, workspaceId: string): Promise<number> {
	const row = await db.selectFrom('workspace_agents').select((eb) => eb.fn.countAll<number>().as('n')).where('workspace_id', '=', workspaceId).executeTakeFirst();
	return Number(row?.n ?? 0);
}

export interface AgentWrite {
	id: string;
	config: Record<string, unknown>;
	idleMinutes: number | null;
}

/** Inserts a new agent; false when the workspace already has one with this id (the primary key decides, even under races). */
export async function insertStoredAgent(db: Queryable, workspaceId: string, input: AgentWrite): Promise<StoredAgent | undefined> {
	const at = nowIso();
	const row: WorkspaceAgentRow = {
		workspace_id: workspaceId,
		id: input.id,
		config: toJson(input.config),
		idle_minutes: input.idleMinutes,
		created_at: at,
		updated_at: at,
	};
	const result = await db
		.insertInto('workspace_agents')
		.values(row)
		.onConflict((oc) => oc.columns(['workspace_id', 'id']).doNothing())
		.executeTakeFirst();
	return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1 ? fromRow(row) : undefined;
}

/** Replaces an agent's config; undefined when the workspace has no agent with this id. */
export async function updateStoredAgent(db: Queryable, workspaceId: string, input: AgentWrite): Promise<StoredAgent | undefined> {
	const row = await db
		.updateTable('workspace_agents')
		.set({ config: toJson(input.config), idle_minutes: input.idleMinutes, updated_at: nowIso() })
		.where('workspace_id', '=', workspaceId)
		.where('id', '=', input.id)
		.returningAll()
		.executeTakeFirst();
	return row ? fromRow(row) : undefined;
}

export async function deleteStoredAgent(db: Queryable, workspaceId: string, id: string): Promise<boolean> {
	const result = await db.deleteFrom('workspace_agents').where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst();
	return Number(result.numDeletedRows) > 0;
}

/** The shortest idle timeout of any workspace agent, in minutes (the sweeper's cutoff); undefined when none has one. */
export async function shortestIdleMinutes(db: Queryable): Promise<number | undefined> {
	const row = await db
		.selectFrom('workspace_agents')
		.select((eb) => eb.fn.min<number | null>('idle_minutes').as('minutes'))
		.executeTakeFirst();
	return row?.minutes === null || row?.minutes === undefined ? undefined : Number(row.minutes);
}
