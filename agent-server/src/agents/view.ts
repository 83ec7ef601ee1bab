// The public shape of an agent (GET /v1/agents) derived from its configuration.
import type { AgentConfig } from '../engine/agent-config';
import type { AgentSource } from './registry';

export interface AgentView {
	id: string;
	/** "file": from a file (shared, or this workspace's folder), changed in version control; "api": this workspace's own. */
	source: AgentSource;
	name: string;
	description: string;
	channels: string[];
	fields: { name: string; label: string; mapsTo: string }[];
	intents: string[];
	actions: { id: string; name: string; description: string }[];
	tags: string[];
	outcomes: string[];
}

export function agentView(agent: AgentConfig, source: AgentSource): AgentView {
	return {
		id: agent.id,
		source,
		name: agent.name,
		description: agent.description ?? '',
		channels: [...agent.channels],
		fields: agent.fields.map((f) => ({ name: f.name, label: f.label ?? f.name, mapsTo: f.mapsTo })),
		intents: agent.intents.map((i) => i.name),
		actions: agent.actions.map((a) => ({ id: a.id, name: a.name, description: a.description ?? '' })),
		tags: [...new Set(agent.tagRules.map((r) => r.tag))],
		outcomes: [...agent.outcomes],
	};
}
