// When each Trigger Workflow action of a conversation fired: what the cooldown and the per-conversation cap count.
import { parseJson } from '../util/json';
import type { Queryable } from './schema';

export async function actionFirings(db: Queryable, workspaceId: string, conversationId: string): Promise<{ actionId: string | undefined; at: number }[]> {
	const rows = await db
		.selectFrom('events')
		.select(['envelope', 'created_at'])
		.where('workspace_id', '=', workspaceId)
		.where('conversation_id', '=', conversationId)
		.where('type', '=', 'agent.action.triggered')
		.execute();
	return rows.map((row) => ({ actionId: parseJson<{ action?: { id?: string } }>(row.envelope, {}).action?.id, at: Date.parse(row.created_at) }));
}
