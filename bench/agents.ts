// The agents the benchmarks run: the bundled ones without their round trip (`expects`), since no workflow answers in
// a benchmark and waiting for one is idle time, not work.
import { loadAgents } from '../agent-server/src/agents/agent-files';
import type { AgentRegistry } from '../agent-server/src/engine/agent-config';

export interface BenchAgentOptions {
	/** Drop each agent's `ending.maxTurns`, so one conversation can run as long as a benchmark needs. */
	withoutMaxTurns?: boolean;
}

export function benchAgents(options: BenchAgentOptions = {}): AgentRegistry {
	const agents = loadAgents()
		.list()
		.map((agent) => ({
			...agent,
			actions: agent.actions.map(({ expects: _wait, ...action }) => action),
			...(options.withoutMaxTurns && agent.ending ? { ending: { ...agent.ending, maxTurns: undefined } } : {}),
		}));
	return { list: () => agents, get: (id) => agents.find((a) => a.id === id) };
}
