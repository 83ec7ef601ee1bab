// File agents bound to the workspaces of a database: the shared ones, and each `workspaces/<id or name>/` folder's
// agents for that one workspace. Folders are matched to workspaces once, at start (see docs/agents.md).
import type { AgentConfig, AgentRegistry } from '../engine/agent-config';
import type { AgentFolders, FileRegistry } from './agent-files';
import { listStoredAgents } from '../store/agents';
import type { Queryable } from '../store/schema';
import { listWorkspaces } from '../store/workspaces';

export interface FileAgents {
	/** Every workspace's: the bundled agents and the top level of AGENTS_DIR. */
	shared: AgentRegistry;
	/** The agents of the workspace's own folder; empty when it has none. */
	ownedBy(workspaceId: string): AgentRegistry;
	/** Every file agent, shared or not (the sweeper's shortest timeout). */
	all(): AgentConfig[];
}

const EMPTY: AgentRegistry = { list: () => [], get: () => undefined };

export interface BoundFileAgents {
	agents: FileAgents;
	/** Folders that name no workspace yet: read again on the next start. */
	unmatched: { folder: string; agents: string[] }[];
}

/**
 * Matches each workspace folder to one workspace by id, else by name. Throws, naming the folder or the file, when a
 * folder could mean two workspaces, two folders mean the same one, or a folder's agent has the id of an agent that
 * workspace created over the API (the API agent would be hidden; delete it first).
 */
export async function bindAgentFolders(db: Queryable, folders: AgentFolders): Promise<BoundFileAgents> {
	const workspaces = folders.workspaces.length ? await listWorkspaces(db) : [];
	const owned = new Map<string, { shown: string; agents: FileRegistry }>();
	const unmatched: BoundFileAgents['unmatched'] = [];
	const errors: string[] = [];
	for (const folder of folders.workspaces) {
		const matches = workspaces.filter((w) => w.id === folder.name || w.name === folder.name);
		if (matches.length > 1) {
			const which = matches.map((w) => `${w.id} "${w.name}"`).join(', ');
			errors.push(`${folder.shown}: names more than one workspace (${which}); name the folder by the workspace id`);
			continue;
		}
		const workspace = matches[0];
		if (!workspace) {
			unmatched.push({ folder: folder.shown, agents: folder.agents.list().map((a) => a.id) });
			continue;
		}
		const previous = owned.get(workspace.id);
		if (previous) {
			errors.push(`${folder.shown}: names workspace ${workspace.id} "${workspace.name}", as ${previous.shown} does; keep one folder per workspace`);
			continue;
		}
		owned.set(workspace.id, folder);
		for (const stored of await listStoredAgents(db, workspace.id)) {
			const file = folder.agents.fileOf(stored.id);
			if (file) {
				errors.push(
					`${file}: id: workspace ${workspace.id} "${workspace.name}" already has an agent "${stored.id}" created over the API; ` +
						`delete it (DELETE /v1/agents/${stored.id}) or give the file's agent another id`,
				);
			}
		}
	}
	if (errors.length) throw new Error(errors.join('\n'));
	return {
		agents: {
			shared: folders.shared,
			ownedBy: (workspaceId) => owned.get(workspaceId)?.agents ?? EMPTY,
			all: () => [...folders.shared.list(), ...[...owned.values()].flatMap((f) => f.agents.list())],
		},
		unmatched,
	};
}
