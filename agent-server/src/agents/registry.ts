// Which agents a workspace can use: the shared agents from files, its own agent files and its own agents managed over
// the API.
// One resolver per app instance; a small per-workspace cache saves re-reading and re-validating configs every turn.
import { validateAgentConfig, type AgentConfig, type AgentRegistry } from '../engine/agent-config';
import type { FileAgents } from './file-agents';
import { listStoredAgents, type StoredAgent } from '../store/agents';
import type { Queryable } from '../store/schema';

export type AgentSource = 'file' | 'api';

export interface WorkspaceAgents extends AgentRegistry {
	/** Where an agent the workspace can use comes from; undefined for an unknown id. */
	source(id: string): AgentSource | undefined;
}

export interface AgentResolver {
	/** Pass the transaction when called inside one: on SQLite a read through the shared handle would wait for it. */
	forWorkspace(workspaceId: string, db?: Queryable): Promise<WorkspaceAgents>;
	/** After a workspace's agents were written, its next lookup reads them again. */
	changed(workspaceId: string): void;
}

export interface AgentResolverOptions {
	/** How long a workspace's agents are reused before being read again: other instances' writes show after this. */
	ttlMs?: number;
	/** Workspaces kept in the cache; the least recently loaded is dropped first. */
	maxWorkspaces?: number;
}

/**
 * Shared file agents first, then the workspace's own files, then its API agents. The workspace's files win over a
 * shared file with the same id; an API agent wins over a shared file added later with its id, but not over the
 * workspace's own file (version control decides; start-up and POST refuse that clash anyway).
 */
export function mergeAgents(shared: AgentRegistry, stored: StoredAgent[], ownFiles: AgentRegistry = { list: () => [], get: () => undefined }): WorkspaceAgents {
	const own = new Map<string, AgentConfig>();
	for (const row of stored) {
		// Stored configs were valid when written; one a newer schema rejects is left out rather than half applied.
		const result = validateAgentConfig(row.config);
		if (result.ok && !ownFiles.get(row.id)) own.set(row.id, result.agent);
	}
	const shadowed = (id: string) => own.has(id) || ownFiles.get(id) !== undefined;
	return {
		get: (id) => ownFiles.get(id) ?? own.get(id) ?? shared.get(id),
		list: () => [...shared.list().filter((a) => !shadowed(a.id)), ...ownFiles.list(), ...own.values()],
		source: (id) => (ownFiles.get(id) ? 'file' : own.has(id) ? 'api' : shared.get(id) ? 'file' : undefined),
	};
}

interface Entry {
	loadedAt: number;
	loading: Promise<WorkspaceAgents>;
	value?: WorkspaceAgents;
}

export function createAgentResolver(files: FileAgents, db: Queryable, options: AgentResolverOptions = {}): AgentResolver {
	const ttlMs = options.ttlMs ?? 5_000;
	const maxWorkspaces = options.maxWorkspaces ?? 1_000;
	const cache = new Map<string, Entry>();

	return {
		forWorkspace(workspaceId, via) {
			const entry = cache.get(workspaceId);
			const fresh = entry !== undefined && Date.now() - entry.loadedAt < ttlMs;
			if (fresh && entry.value) return Promise.resolve(entry.value);
			// A caller inside a transaction must not wait for a load queued behind that transaction.
			if (via) return listStoredAgents(via, workspaceId).then((rows) => mergeAgents(files.shared, rows, files.ownedBy(workspaceId)));
			if (fresh) return entry.loading;

			const next: Entry = { loadedAt: Date.now(), loading: listStoredAgents(db, workspaceId).then((rows) => mergeAgents(files.shared, rows, files.ownedBy(workspaceId))) };
			cache.delete(workspaceId);
			cache.set(workspaceId, next);
			if (cache.size > maxWorkspaces) cache.delete(cache.keys().next().value as string);
			next.loading.then(
				(value) => {
					next.value = value;
				},
				() => {
					if (cache.get(workspaceId) === next) cache.delete(workspaceId);
				},
			);
			return next.loading;
		},
		changed(workspaceId) {
			cache.delete(workspaceId);
		},
	};
}
