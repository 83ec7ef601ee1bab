// Agent files on disk: the bundled examples and an operator's AGENTS_DIR (shared files and one folder per workspace),
// read and validated with the engine's pure parser.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseAgentConfig, type AgentConfig, type AgentRegistry } from '../engine/agent-config';

/** The bundled example agents live next to the package, in `agents/`. */
export const BUNDLED_AGENTS_DIR = path.join(__dirname, '..', '..', 'agents');

// `*.test.yaml` beside the agents are conversation tests (`agent-bridge test`), not agents.
function agentFiles(dir: string): string[] {
	return readdirSync(dir)
		.filter((f) => /\.(ya?ml|json)$/i.test(f) && !/\.test\.ya?ml$/i.test(f) && statSync(path.join(dir, f)).isFile())
		.sort()
		.map((f) => path.join(dir, f));
}

/** A set of file agents that remembers where each one came from, for messages that name the file. */
export interface FileRegistry extends AgentRegistry {
	fileOf(id: string): string | undefined;
}

/** `AGENTS_DIR/workspaces/<name>/`: agents of one workspace, named by its id or its (unique) name. */
export interface WorkspaceFolder {
	name: string;
	/** The folder as shown in messages. */
	shown: string;
	agents: FileRegistry;
}

export interface AgentFolders {
	/** The bundled agents and the top level of the folder: shared by every workspace. */
	shared: AgentRegistry;
	workspaces: WorkspaceFolder[];
}

/** The subfolder of `AGENTS_DIR` whose folders hold one workspace's agents each. */
export const WORKSPACES_FOLDER = 'workspaces';

/** Reads and validates a set of files; ids must be unique within the set. Problems go to `errors`, one line each. */
function readRegistry(files: { file: string; shown: string }[], errors: string[]): FileRegistry {
	const byId = new Map<string, { agent: AgentConfig; shown: string }>();
	for (const { file, shown } of files) {
		try {
			const agent = parseAgentConfig(readFileSync(file, 'utf8'), shown);
			const previous = byId.get(agent.id);
			if (previous) errors.push(`${shown}: id: duplicate agent id "${agent.id}" (also in ${previous.shown})`);
			else byId.set(agent.id, { agent, shown });
		} catch (e) {
			errors.push(...(e as Error).message.split('\n'));
		}
	}
	const agents = [...byId.values()].map((v) => v.agent);
	return {
		list: () => [...agents],
		get: (id) => byId.get(id)?.agent,
		fileOf: (id) => byId.get(id)?.shown,
	};
}

const shownFiles = (dir: string, shownDir: string) => agentFiles(dir).map((file) => ({ file, shown: path.join(shownDir, path.basename(file)) }));

/**
 * Reads the bundled examples plus `dir`: its top-level `*.yaml|*.yml|*.json` files (shared) and `workspaces/<name>/`
 * (one workspace's each). Collects every problem, one line each naming the file and the path, instead of stopping.
 */
export function readAgentFolders(dir?: string, options: { bundled?: boolean } = {}): { folders: AgentFolders; errors: string[] } {
	const errors: string[] = [];
	const sharedFiles = options.bundled !== false ? shownFiles(BUNDLED_AGENTS_DIR, 'agents') : [];
	const dirFound = dir !== undefined && existsSync(dir) && statSync(dir).isDirectory();
	if (dir !== undefined && !dirFound) errors.push(`${dir}: agent directory not found`);
	if (dir === undefined || !dirFound) return { folders: { shared: readRegistry(sharedFiles, errors), workspaces: [] }, errors };

	const shared = readRegistry([...sharedFiles, ...shownFiles(dir, dir)], errors);
	const workspaces: WorkspaceFolder[] = [];
	const root = path.join(dir, WORKSPACES_FOLDER);
	if (existsSync(root) && statSync(root).isDirectory()) {
		// A file right under workspaces/ belongs to no workspace: most likely a misplaced file, so say so.
		for (const { shown } of shownFiles(root, root)) errors.push(`${shown}: put it in ${root}/<workspace id or name>/, or at the top level to share it`);
		for (const name of readdirSync(root).sort()) {
			const folder = path.join(root, name);
			if (statSync(folder).isDirectory()) workspaces.push({ name, shown: folder, agents: readRegistry(shownFiles(folder, folder), errors) });
		}
	}
	return { folders: { shared, workspaces }, errors };
}

/** Like readAgentFolders, but throws one error listing every problem (the server refuses to start). */
export function loadAgentFolders(dir?: string, options: { bundled?: boolean } = {}): AgentFolders {
	const { folders, errors } = readAgentFolders(dir, options);
	if (errors.length) throw new Error(errors.join('\n'));
	return folders;
}

/** The shared agents: bundled plus the top level of `dir` (whose workspace folders are validated too). */
export function loadAgents(dir?: string, options: { bundled?: boolean } = {}): AgentRegistry {
	return loadAgentFolders(dir, options).shared;
}
