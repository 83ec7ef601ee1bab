// What the route modules and services share; built once per app instance (no module-level state).
import type { FileAgents } from './agents/file-agents';
import type { WorkspaceAgents } from './agents/registry';
import type { TurnQueue, TurnQueueOptions } from './conversations/turn-queue';
import type { Engine } from './engine/types';
import type { LiveHub } from './live/hub';
import type { Store } from './store/database';
import type { Queryable } from './store/schema';
import type { Wakers } from './util/wakers';

export interface AppContext {
	store: Store;
	engine: Engine;
	/** Agents from files, read-only over the API: shared (bundled, top of AGENTS_DIR) and per workspace folder. */
	fileAgents: FileAgents;
	/**
	 * The agents one workspace can use: the shared file agents plus its own files and API agents. Every lookup goes through here so that another
	 * workspace's agent is never found. Pass the transaction when called inside one.
	 */
	agentsFor(workspaceId: string, db?: Queryable): Promise<WorkspaceAgents>;
	/** Called after a workspace's agents were written, so its next lookup sees the change. */
	agentsChanged(workspaceId: string): void;
	/** Events deeper than this are not sent (loop guard). */
	maxCausationDepth: number;
	/** Called after a commit that queued deliveries, so the relay sends them now instead of at its next poll. */
	deliveriesQueued(): void;
	/** Conversation behaviour; absent values take the defaults. */
	conversations?: ConversationOptions;
	/** One turn at a time per conversation, across instances. */
	turns: TurnQueue;
	/** Woken by contact id at each write to the contact on this instance, so a turn waiting for a workflow's result answers at once. */
	fieldWrites: Wakers;
	/** Aborted when the server starts shutting down: turns waiting for a workflow answer their holding reply at once. */
	draining: AbortSignal;
	/** This instance's live streams (console pages and widgets). */
	live: LiveHub;
	/** The server's public address (PUBLIC_URL), for links to the console in events; unset: paths only. */
	publicUrl?: string;
}

export interface ConversationOptions extends TurnQueueOptions {
	/** How often an awaited workflow result is looked for (default 200 ms). */
	waitPollMs?: number;
	/** Model calls a workspace may make in total; past it the agents answer with their fallback reply. */
	modelBudgetPerWorkspace?: number;
	/** How often idle conversations are ended and quiet handoffs released (default 30 s; 0 disables). */
	sweepIntervalMs?: number;
}
