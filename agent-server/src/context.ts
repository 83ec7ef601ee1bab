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
	/** Conversation behaviour; absent values take the defaults. */
	conversations?: ConversationOptions;
}

export interface ConversationOptions {
	/** How often an awaited workflow result is looked for (default 200 ms). */
	waitPollMs?: number;
	/** Model calls a workspace may make in total; past it the agents answer with their fallback reply. */
	modelBudgetPerWorkspace?: number;
	/** How often idle conversations are ended and quiet handoffs released (default 30 s; 0 disables). */
	sweepIntervalMs?: number;
}
