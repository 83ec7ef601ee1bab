// Schema migrations, kept in code so the server has no migration files to ship. Only portable SQL types.
import { sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';

const text = 'text' as const;

const m001: Migration = {
	async up(db: Kysely<unknown>) {
		await db.schema
			.createTable('workspaces')
			.addColumn('id', text, (c) => c.primaryKey())
			.addColumn('workspace_id', text, (c) => c.notNull())
			.addColumn('name', text, (c) => c.notNull())
			.addColumn('created_at', text, (c) => c.notNull())
			.execute();

		await db.schema
			.createTable('api_keys')
			.addColumn('id', text, (c) => c.primaryKey())
			.addColumn('workspace_id', text, (c) => c.notNull())
			.addColumn('key_hash', text, (c) => c.notNull().unique())
			.addColumn('prefix', text, (c) => c.notNull())
			.addColumn('name', text, (c) => c.notNull())
			.addColumn('created_at', text, (c) => c.notNull())
			.execute();

		await db.schema
			.createTable('contacts')
			.addColumn('id', text, (c) => c.primaryKey())
			.addColumn('workspace_id', text, (c) => c.notNull())
			.addColumn('first_name', text)
			.addColumn('last_name', text)
			.addColumn('email', text)
			.addColumn('phone', text)
			.addColumn('custom_fields', text, (c) => c.notNull())
			.addColumn('tags', text, (c) => c.notNull())
			.addColumn('created_at', text, (c) => c.notNull())
			.addColumn('updated_at', text, (c) => c.notNull())
			.execute();
		await db.schema.createIndex('contacts_workspace').on('contacts').columns(['workspace_id', 'id']).execute();

		await db.schema
			.createTable('conversations')
			.addColumn('id', text, (c) => c.primaryKey())
			.addColumn('workspace_id', text, (c) => c.notNull())
			.addColumn('agent_id', text, (c) => c.notNull())
			.addColumn('contact_id', text, (c) => c.notNull())
			.addColumn('channel', text, (c) => c.notNull())
			.addColumn('status', text, (c) => c.notNull())
			.addColumn('collected', text, (c) => c.notNull())
			.addColumn('fired_actions', text, (c) => c.notNull())
			.addColumn('turn_count', 'integer', (c) => c.notNull())
			.addColumn('intent', text)
			.addColumn('sentiment', text)
			.addColumn('summary', text)
			.addColumn('created_at', text, (c) => c.notNull())
			.addColumn('updated_at', text, (c) => c.notNull())
			.execute();
		await db.schema
			.createIndex('conversations_contact')
			.on('conversations')
			.columns(['workspace_id', 'contact_id', 'id'])
			.execute();

		await db.schema
			.createTable('messages')
			.addColumn('id', text, (c) => c.primaryKey())
			.addColumn('workspace_id', text, (c) => c.notNull())
			.addColumn('conversation_id', text, (c) => c.notNull())
			.addColumn('role', text, (c) => c.notNull())
			.addColumn('source', text, (c) => c.notNull())
			.addColumn('text', text, (c) => c.notNull())
			.addColumn('created_at', text, (c) => c.notNull())
			.execute();
		await db.schema.createIndex('messages_conversation').on('messages').columns(['conversation_id', 'id']).execute();

		await db.schema
			.createTable('timeline')
			.addColumn('id', text, (c) => c.primaryKey())
			.addColumn('workspace_id', text, (c) => c.notNull())
			.addColumn('conversation_id', text, (c) => c.notNull())
			.addColumn('at', text, (c) => c.notNull())
			.addColumn('kind', text, (c) => c.notNull())
			.addColumn('detail', text, (c) => c.notNull())
			.execute();
		await db.schema.createIndex('timeline_conversation').on('timeline').columns(['conversation_id', 'id']).execute();

		await db.schema
			.createTable('subscriptions')
			.addColumn('id', text, (c) => c.primaryKey())
			.addColumn('workspace_id', text, (c) => c.notNull())
			.addColumn('url', text, (c) => c.notNull())
			.addColumn('events', text, (c) => c.notNull())
			.addColumn('filters', text, (c) => c.notNull())
			.addColumn('secret', text, (c) => c.notNull())
			.addColumn('created_at', text, (c) => c.notNull())
			.addColumn('deleted_at', text)
			.execute();
		await db.schema.createIndex('subscriptions_workspace').on('subscriptions').columns(['workspace_id']).execute();

		await db.schema
			.createTable('events')
			.addColumn('id', text, (c) => c.primaryKey())
			.addColumn('workspace_id', text, (c) => c.notNull())
			.addColumn('type', text, (c) => c.notNull())
			.addColumn('conversation_id', text)
			.addColumn('contact_id', text)
			.addColumn('envelope', text, (c) => c.notNull())
			.addColumn('created_at', text, (c) => c.notNull())
			.execute();

		await db.schema
			.createTable('deliveries')
			.addColumn('id', text, (c) => c.primaryKey())
			.addColumn('workspace_id', text, (c) => c.notNull())
			.addColumn('event_id', text, (c) => c.notNull())
			.addColumn('subscription_id', text, (c) => c.notNull())
			.addColumn('status', text, (c) => c.notNull())
			.addColumn('attempts', 'integer', (c) => c.notNull())
			.addColumn('next_attempt_at', text, (c) => c.notNull())
			.addColumn('last_error', text)
			.addColumn('last_status_code', 'integer')
			.addColumn('locked_until', text)
			.addColumn('lease_token', text)
			.addColumn('created_at', text, (c) => c.notNull())
			.addColumn('updated_at', text, (c) => c.notNull())
			.execute();
		await db.schema.createIndex('deliveries_due').on('deliveries').columns(['status', 'next_attempt_at']).execute();
		await db.schema.createIndex('deliveries_event').on('deliveries').columns(['event_id']).execute();
	},
};

// Conversation state for endings, handoff, waiting round trips and the model budget.
const m002Conversations: Migration = {
	async up(db: Kysely<unknown>) {
		await db.schema.alterTable('conversations').addColumn('model_calls', 'integer', (c) => c.notNull().defaultTo(0)).execute();
		await db.schema.alterTable('conversations').addColumn('ending', text).execute();
		await db.schema.alterTable('conversations').addColumn('waits', text, (c) => c.notNull().defaultTo('[]')).execute();
		await db.schema.alterTable('conversations').addColumn('human_at', text).execute();
		await db.schema.createIndex('conversations_status').on('conversations').columns(['status', 'updated_at']).execute();
	},
};

// Delivery health per subscription, and stored replies for idempotent API requests.
const m002Delivery: Migration = {
	async up(db: Kysely<unknown>) {
		await db.schema.alterTable('subscriptions').addColumn('consecutive_failures', 'integer', (c) => c.notNull().defaultTo(0)).execute();
		await db.schema.alterTable('subscriptions').addColumn('failing_since', text).execute();
		await db.schema.alterTable('subscriptions').addColumn('marked_failing_at', text).execute();
		await db.schema.alterTable('subscriptions').addColumn('last_success_at', text).execute();
		await db.schema.alterTable('subscriptions').addColumn('last_failure_at', text).execute();
		await db.schema.alterTable('subscriptions').addColumn('last_failure', text).execute();

		await db.schema
			.createTable('idempotency_keys')
			.addColumn('workspace_id', text, (c) => c.notNull())
			.addColumn('key', text, (c) => c.notNull())
			.addColumn('route', text, (c) => c.notNull())
			.addColumn('request_hash', text, (c) => c.notNull())
			.addColumn('status_code', 'integer')
			.addColumn('response_body', text)
			.addColumn('locked_until', text, (c) => c.notNull())
			.addColumn('created_at', text, (c) => c.notNull())
			.addPrimaryKeyConstraint('idempotency_keys_pk', ['workspace_id', 'key'])
			.execute();
		await db.schema.createIndex('deliveries_subscription').on('deliveries').columns(['subscription_id', 'status']).execute();
	},
};


// When each contact field was last written, so a round trip waits for a value written after its action fired
// rather than taking an older one.
const m003FieldWrites: Migration = {
	async up(db: Kysely<unknown>) {
		await db.schema.alterTable('contacts').addColumn('field_writes', text, (c) => c.notNull().defaultTo('{}')).execute();
	},
	async down(db: Kysely<unknown>) {
		await db.schema.alterTable('contacts').dropColumn('field_writes').execute();
	},
};

// Web chat: publishable widget keys (with the origins allowed to use them) and widget sessions, each a hashed
// token that lets one browser continue its own conversation.
const m004WebChannel: Migration = {
	async up(db: Kysely<unknown>) {
		await db.schema
			.createTable('widget_keys')
			.addColumn('id', text, (c) => c.primaryKey())
			.addColumn('workspace_id', text, (c) => c.notNull())
			.addColumn('public_key', text, (c) => c.notNull().unique())
			.addColumn('name', text, (c) => c.notNull())
			.addColumn('allowed_origins', text, (c) => c.notNull())
			.addColumn('created_at', text, (c) => c.notNull())
			.addColumn('deleted_at', text)
			.execute();
		await db.schema.createIndex('widget_keys_workspace').on('widget_keys').columns(['workspace_id']).execute();

		await db.schema
			.createTable('widget_sessions')
			.addColumn('id', text, (c) => c.primaryKey())
			.addColumn('workspace_id', text, (c) => c.notNull())
			.addColumn('widget_key_id', text, (c) => c.notNull())
			.addColumn('agent_id', text, (c) => c.notNull())
			.addColumn('contact_id', text, (c) => c.notNull())
			.addColumn('conversation_id', text, (c) => c.notNull())
			.addColumn('token_hash', text, (c) => c.notNull().unique())
			.addColumn('created_at', text, (c) => c.notNull())
			.addColumn('last_seen_at', text, (c) => c.notNull())
			.execute();
		await db.schema.createIndex('conversations_workspace_updated').on('conversations').columns(['workspace_id', 'updated_at']).execute();
		await db.schema.createIndex('events_conversation').on('events').columns(['conversation_id', 'id']).execute();
	},
	async down(db: Kysely<unknown>) {
		await db.schema.dropIndex('events_conversation').execute();
		await db.schema.dropIndex('conversations_workspace_updated').execute();
		await db.schema.dropTable('widget_sessions').execute();
		await db.schema.dropTable('widget_keys').execute();
	},
};

// Agents a workspace manages over the API, next to the shared agents from files. idle_minutes is the shortest of
// the agent's inactivity and quiet-handoff timeouts, so the sweeper finds its cutoff without parsing every config.
const m005WorkspaceAgents: Migration = {
	async up(db: Kysely<unknown>) {
		await db.schema
			.createTable('workspace_agents')
			.addColumn('workspace_id', text, (c) => c.notNull())
			.addColumn('id', text, (c) => c.notNull())
			.addColumn('config', text, (c) => c.notNull())
			.addColumn('idle_minutes', 'double precision')
			.addColumn('created_at', text, (c) => c.notNull())
			.addColumn('updated_at', text, (c) => c.notNull())
			.addPrimaryKeyConstraint('workspace_agents_pk', ['workspace_id', 'id'])
			.execute();
	},
	async down(db: Kysely<unknown>) {
		await db.schema.dropTable('workspace_agents').execute();
	},
};

// Turns of one conversation run one at a time (a lease on the conversation), every contact message is stored as it
// arrives and waits for its turn, and a message's answer is stored with the turn, so a retried request finds it.
const m006Turns: Migration = {
	async up(db: Kysely<unknown>) {
		await db.schema.alterTable('conversations').addColumn('turn_owner', text).execute();
		await db.schema.alterTable('conversations').addColumn('turn_until', text).execute();
		await db.schema.alterTable('conversations').addColumn('model_requests', 'integer', (c) => c.notNull().defaultTo(0)).execute();
		await db.schema.alterTable('messages').addColumn('pending', 'integer', (c) => c.notNull().defaultTo(0)).execute();
		await db.schema.alterTable('messages').addColumn('idempotency_key', text).execute();
		await db.schema.alterTable('messages').addColumn('causation_event_id', text).execute();
		await db.schema.alterTable('messages').addColumn('answer', text).execute();
		await db.schema.createIndex('messages_idempotency').on('messages').columns(['workspace_id', 'idempotency_key']).unique().execute();
	},
	async down(db: Kysely<unknown>) {
		await db.schema.dropIndex('messages_idempotency').execute();
		for (const column of ['answer', 'causation_event_id', 'idempotency_key', 'pending']) {
			await db.schema.alterTable('messages').dropColumn(column).execute();
		}
		await db.schema.alterTable('conversations').dropColumn('model_requests').execute();
		await db.schema.alterTable('conversations').dropColumn('turn_until').execute();
		await db.schema.alterTable('conversations').dropColumn('turn_owner').execute();
	},
};

// Resuming after an outage: a delivery's step in the retry schedule (attempts brought forward by a signal do not
// advance it) and why it is due when it is; a subscription's probe of its destination while that is down.
const m007DeliveryResume: Migration = {
	async up(db: Kysely<unknown>) {
		await db.schema.alterTable('deliveries').addColumn('schedule_step', 'integer', (c) => c.notNull().defaultTo(0)).execute();
		await db.schema.alterTable('deliveries').addColumn('next_attempt_reason', text, (c) => c.notNull().defaultTo('schedule')).execute();
		await sql`update deliveries set schedule_step = attempts`.execute(db);
		await db.schema.alterTable('subscriptions').addColumn('probe_at', text).execute();
		await db.schema.alterTable('subscriptions').addColumn('probe_failures', 'integer', (c) => c.notNull().defaultTo(0)).execute();
		await db.schema.alterTable('subscriptions').addColumn('probed_at', text).execute();
	},
	async down(db: Kysely<unknown>) {
		await db.schema.alterTable('subscriptions').dropColumn('probed_at').execute();
		await db.schema.alterTable('subscriptions').dropColumn('probe_failures').execute();
		await db.schema.alterTable('subscriptions').dropColumn('probe_at').execute();
		await db.schema.alterTable('deliveries').dropColumn('next_attempt_reason').execute();
		await db.schema.alterTable('deliveries').dropColumn('schedule_step').execute();
	},
};

// API keys carry scopes and can be revoked; every key made before scopes existed keeps full access.
// Also an index for the widget's sessions-per-key limit.
const m008ApiKeyScopes: Migration = {
	async up(db: Kysely<unknown>) {
		await db.schema.alterTable('api_keys').addColumn('scopes', text, (c) => c.notNull().defaultTo('admin')).execute();
		await db.schema.alterTable('api_keys').addColumn('revoked_at', text).execute();
		// The widget's new-sessions-per-hour limit counts a key's recent sessions.
		await db.schema.createIndex('widget_sessions_key_created').on('widget_sessions').columns(['widget_key_id', 'created_at']).execute();
	},
	async down(db: Kysely<unknown>) {
		await db.schema.dropIndex('widget_sessions_key_created').execute();
		await db.schema.alterTable('api_keys').dropColumn('revoked_at').execute();
		await db.schema.alterTable('api_keys').dropColumn('scopes').execute();
	},
};

// The workspace's own timeline (erasures, retention: what must not sit on a contact's timeline) and its
// transcript retention setting.
const m009WorkspaceLog: Migration = {
	async up(db: Kysely<unknown>) {
		await db.schema
			.createTable('workspace_log')
			.addColumn('id', text, (c) => c.primaryKey())
			.addColumn('workspace_id', text, (c) => c.notNull())
			.addColumn('at', text, (c) => c.notNull())
			.addColumn('kind', text, (c) => c.notNull())
			.addColumn('detail', text, (c) => c.notNull())
			.execute();
		await db.schema.createIndex('workspace_log_workspace').on('workspace_log').columns(['workspace_id', 'id']).execute();
		await db.schema.alterTable('workspaces').addColumn('transcript_retention_days', 'integer').execute();
		await db.schema.createIndex('events_contact').on('events').columns(['contact_id']).execute();
	},
	async down(db: Kysely<unknown>) {
		await db.schema.dropIndex('events_contact').execute();
		await db.schema.alterTable('workspaces').dropColumn('transcript_retention_days').execute();
		await db.schema.dropTable('workspace_log').execute();
	},
};

// A contact's addresses on the channels n8n reaches (a Telegram chat id, a phone number, an email address): one
// identity belongs to one contact of the workspace.
const m010ContactIdentities: Migration = {
	async up(db: Kysely<unknown>) {
		await db.schema
			.createTable('contact_identities')
			.addColumn('id', text, (c) => c.primaryKey())
			.addColumn('workspace_id', text, (c) => c.notNull())
			.addColumn('contact_id', text, (c) => c.notNull())
			.addColumn('channel', text, (c) => c.notNull())
			.addColumn('address', text, (c) => c.notNull())
			.addColumn('created_at', text, (c) => c.notNull())
			.execute();
		await db.schema.createIndex('contact_identities_unique').on('contact_identities').columns(['workspace_id', 'channel', 'address']).unique().execute();
		await db.schema.createIndex('contact_identities_contact').on('contact_identities').columns(['workspace_id', 'contact_id']).execute();
	},
	async down(db: Kysely<unknown>) {
		await db.schema.dropTable('contact_identities').execute();
	},
};

// A channel's delivery report on a message to the contact: delivered, or failed with the channel's reason.
const m011MessageDelivery: Migration = {
	async up(db: Kysely<unknown>) {
		await db.schema.alterTable('messages').addColumn('delivery_status', text).execute();
		await db.schema.alterTable('messages').addColumn('delivery_reason', text).execute();
		await db.schema.alterTable('messages').addColumn('delivery_at', text).execute();
	},
	async down(db: Kysely<unknown>) {
		await db.schema.alterTable('messages').dropColumn('delivery_at').execute();
		await db.schema.alterTable('messages').dropColumn('delivery_reason').execute();
		await db.schema.alterTable('messages').dropColumn('delivery_status').execute();
	},
};

// A widget key's appearance (title, colours, avatar, opening message, launcher position, timestamps), kept apart
// from the key so the widget routes' key lookup does not read the avatar image every time.
const m013WidgetAppearance: Migration = {
	async up(db: Kysely<unknown>) {
		await db.schema
			.createTable('widget_appearances')
			.addColumn('widget_key_id', text, (c) => c.primaryKey())
			.addColumn('workspace_id', text, (c) => c.notNull())
			.addColumn('settings', text, (c) => c.notNull())
			.addColumn('avatar_type', text)
			.addColumn('avatar_data', text)
			.addColumn('avatar_hash', text)
			.addColumn('updated_at', text, (c) => c.notNull())
			.execute();
		// Numbers per period read the timeline by time; conversations by their start.
		await db.schema.createIndex('timeline_workspace_at').on('timeline').columns(['workspace_id', 'at']).execute();
		await db.schema.createIndex('conversations_workspace_created').on('conversations').columns(['workspace_id', 'created_at']).execute();
	},
	async down(db: Kysely<unknown>) {
		await db.schema.dropIndex('conversations_workspace_created').execute();
		await db.schema.dropIndex('timeline_workspace_at').execute();
		await db.schema.dropTable('widget_appearances').execute();
	},
};

// The console: sessions made from an API key (only the token's hash is stored), and who handles a conversation.
const m012Console: Migration = {
	async up(db: Kysely<unknown>) {
		await db.schema
			.createTable('console_sessions')
			.addColumn('id', text, (c) => c.primaryKey())
			.addColumn('workspace_id', text, (c) => c.notNull())
			.addColumn('api_key_id', text, (c) => c.notNull())
			.addColumn('token_hash', text, (c) => c.notNull().unique())
			.addColumn('user_name', text, (c) => c.notNull())
			.addColumn('created_at', text, (c) => c.notNull())
			.addColumn('expires_at', text, (c) => c.notNull())
			.execute();
		await db.schema.createIndex('console_sessions_workspace').on('console_sessions').columns(['workspace_id', 'expires_at']).execute();
		await db.schema.alterTable('conversations').addColumn('assignee', text).execute();
		await db.schema.alterTable('conversations').addColumn('assigned_at', text).execute();
		await db.schema.createIndex('conversations_workspace_status').on('conversations').columns(['workspace_id', 'status', 'updated_at']).execute();
	},
	async down(db: Kysely<unknown>) {
		await db.schema.dropIndex('conversations_workspace_status').execute();
		await db.schema.alterTable('conversations').dropColumn('assigned_at').execute();
		await db.schema.alterTable('conversations').dropColumn('assignee').execute();
		await db.schema.dropTable('console_sessions').execute();
	},
};

// A conversation's messages by workspace and conversation: without it SQLite's planner took the workspace's
// idempotency index for these lookups and read every message of the workspace. The messages waiting for their turn
// (a few at most) have their own small index, so finding the oldest does not read the answered ones.
const m014MessageLookup: Migration = {
	async up(db: Kysely<unknown>) {
		await db.schema.createIndex('messages_workspace_conversation').on('messages').columns(['workspace_id', 'conversation_id', 'id']).execute();
		await db.schema
			.createIndex('messages_waiting')
			.on('messages')
			.columns(['workspace_id', 'conversation_id', 'id'])
			.where(sql.ref('pending'), '=', 1)
			.execute();
	},
	async down(db: Kysely<unknown>) {
		await db.schema.dropIndex('messages_waiting').execute();
		await db.schema.dropIndex('messages_workspace_conversation').execute();
	},
};

// Exactly once through n8n: a trigger claims a delivery before it starts its workflow (the claim is the unique row
// update), the executions n8n ran for each delivery, and each workspace's optional connection to n8n's public API.
const m015Executions: Migration = {
	async up(db: Kysely<unknown>) {
		await db.schema.alterTable('deliveries').addColumn('claimed_at', text).execute();
		await db.schema.alterTable('deliveries').addColumn('claim_workflow_id', text).execute();
		await db.schema.alterTable('deliveries').addColumn('claim_workflow_name', text).execute();
		await db.schema.alterTable('deliveries').addColumn('execution_state', text).execute();
		await db.schema.alterTable('deliveries').addColumn('execution_checked_at', text).execute();
		await db.schema
			.createIndex('deliveries_execution_watch')
			.on('deliveries')
			.columns(['execution_state', 'claimed_at'])
			.execute();
		await db.schema
			.createTable('executions')
			.addColumn('workspace_id', text, (c) => c.notNull())
			.addColumn('workflow_id', text, (c) => c.notNull())
			.addColumn('execution_id', text, (c) => c.notNull())
			.addColumn('workflow_name', text)
			.addColumn('event_id', text)
			.addColumn('delivery_id', text)
			.addColumn('conversation_id', text)
			.addColumn('status', text, (c) => c.notNull())
			.addColumn('mode', text)
			.addColumn('started_at', text)
			.addColumn('stopped_at', text)
			.addColumn('error', text)
			.addColumn('editor_url', text)
			.addColumn('updated_at', text, (c) => c.notNull())
			.addPrimaryKeyConstraint('executions_pk', ['workspace_id', 'workflow_id', 'execution_id'])
			.execute();
		await db.schema.createIndex('executions_event').on('executions').columns(['workspace_id', 'event_id']).execute();
		await db.schema.createIndex('executions_delivery').on('executions').columns(['delivery_id']).execute();
		await db.schema
			.createTable('n8n_connections')
			.addColumn('workspace_id', text, (c) => c.primaryKey())
			.addColumn('url', text, (c) => c.notNull())
			.addColumn('api_key', text, (c) => c.notNull())
			.addColumn('last_checked_at', text)
			.addColumn('last_error', text)
			.addColumn('updated_at', text, (c) => c.notNull())
			.execute();
	},
	async down(db: Kysely<unknown>) {
		await db.schema.dropTable('n8n_connections').execute();
		await db.schema.dropTable('executions').execute();
		await db.schema.dropIndex('deliveries_execution_watch').execute();
		for (const column of ['execution_checked_at', 'execution_state', 'claim_workflow_name', 'claim_workflow_id', 'claimed_at']) {
			await db.schema.alterTable('deliveries').dropColumn(column).execute();
		}
	},
};

// A message the channel refused for now: how often it was sent again and when the next send is due.
const m019MessageDeliveryRetries: Migration = {
	async up(db: Kysely<unknown>) {
		await db.schema.alterTable('messages').addColumn('delivery_retries', 'integer', (c) => c.notNull().defaultTo(0)).execute();
		await db.schema.alterTable('messages').addColumn('delivery_retry_at', text).execute();
	},
	async down(db: Kysely<unknown>) {
		await db.schema.alterTable('messages').dropColumn('delivery_retry_at').execute();
		await db.schema.alterTable('messages').dropColumn('delivery_retries').execute();
	},
};

export const migrationProvider: MigrationProvider = {
	async getMigrations() {
		return {
			'001_initial': m001,
			'002_conversations': m002Conversations,
			'002_delivery': m002Delivery,
			'003_field_writes': m003FieldWrites,
			'004_web_channel': m004WebChannel,
			'005_workspace_agents': m005WorkspaceAgents,
			'006_turns': m006Turns,
			'007_delivery_resume': m007DeliveryResume,
			'008_api_key_scopes': m008ApiKeyScopes,
			'009_workspace_log': m009WorkspaceLog,
			'010_contact_identities': m010ContactIdentities,
			'011_message_delivery': m011MessageDelivery,
			'012_console': m012Console,
			'013_widget_appearance': m013WidgetAppearance,
			'014_message_lookup': m014MessageLookup,
			'015_executions': m015Executions,
			'019_message_delivery_retries': m019MessageDeliveryRetries,
		};
	},
};
