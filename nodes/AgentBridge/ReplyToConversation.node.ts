import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { agentBridgeApiRequest, getCausationEventId, itemError } from './GenericFunctions';

export class ReplyToConversation implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Reply to Conversation',
		name: 'replyToConversation',
		icon: 'file:agentBridge.svg',
		group: ['transform'],
		version: 1,
		subtitle: '={{"Conversation: " + $parameter["conversationId"]}}',
		description: 'Sends a message as the agent into a live conversation.',
		defaults: {
			name: 'Reply to Conversation',
		},
		usableAsTool: true,
		inputs: ['main'],
		outputs: ['main'],
		credentials: [
			{
				name: 'agentBridgeApi',
				required: true,
			},
		],
		properties: [
			{
				displayName: 'Conversation ID',
				name: 'conversationId',
				type: 'string',
				required: true,
				default: '={{ $json.conversationId }}',
				description: 'ID of the conversation to reply in',
			},
			{
				displayName: 'Text',
				name: 'text',
				type: 'string',
				required: true,
				typeOptions: {
					rows: 4,
				},
				default: '',
				placeholder: 'Thanks {{contact.first_name}}, your quote is {{contact.custom_field.quote}}.',
				description:
					'Message the agent sends. Merge fields such as {{contact.first_name}} are filled in by the server.',
			},
		],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		const returnData: INodeExecutionData[] = [];

		for (let i = 0; i < items.length; i++) {
			try {
				const causationEventId = getCausationEventId(items[i].json);
				const conversationId = String(this.getNodeParameter('conversationId', i) ?? '').trim();
				if (conversationId === '') {
					throw new NodeOperationError(this.getNode(), 'Conversation ID is empty', { itemIndex: i });
				}
				const text = String(this.getNodeParameter('text', i) ?? '');
				if (text.trim() === '') {
					throw new NodeOperationError(this.getNode(), 'Text is empty', { itemIndex: i });
				}

				const response = await agentBridgeApiRequest.call(
					this,
					'POST',
					`/v1/conversations/${encodeURIComponent(conversationId)}/replies`,
					{ text },
					undefined,
					causationEventId,
				);

				const message = (response.message ?? response) as IDataObject;
				const json: IDataObject = { ...message, conversationId };
				if (causationEventId) json.causationEventId = causationEventId;
				returnData.push({ json, pairedItem: { item: i } });
			} catch (error) {
				if (this.continueOnFail()) {
					returnData.push({ json: { error: (error as Error).message }, pairedItem: { item: i } });
					continue;
				}
				throw itemError.call(this, error, i);
			}
		}

		return [returnData];
	}
}
