// What the route modules and services share; built once per app instance (no module-level state).
import type { AgentRegistry } from './engine/agent-config';
import type { Engine } from './engine/types';
import type { Store } from './store/database';

export interface AppContext {
	store: Store;
	engine: Engine;
	agents: AgentRegistry;
	/** Events deeper than this are not sent (loop guard). */
	maxCausationDepth: number;
	/** Called after a commit that queued deliveries, so the relay sends them now instead of at its next poll. */
	deliveriesQueued(): void;
}
