import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { agentBridgeApiRequest, getCausationEventId, itemError } from './GenericFunctions';

export class ScoreLead implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Score Lead',
		name: 'scoreLead',
		icon: 'file:agentBridge.svg',
		group: ['transform'],
		version: 1,
		subtitle: '={{"Contact: " + $parameter["contactId"]}}',
		description:
			"Scores a lead from 1 to 10 with AI, from the contact's data and conversation, against a rubric.",
		defaults: {
			name: 'Score Lead',
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
				displayName: 'Contact ID',
				name: 'contactId',
				type: 'string',
				default: '={{ $json.contactId }}',
				required: true,
				description: 'ID of the contact to score',
			},
			{
				displayName: 'Conversation ID',
				name: 'conversationId',
				type: 'string',
				default: '={{ $json.conversationId }}',
				description: 'Conversation whose transcript is scored; leave empty to score the contact data only',
			},
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				placeholder: 'Add Option',
				default: {},
				options: [
					{
						displayName: 'Rubric',
						name: 'rubric',
						type: 'string',
						typeOptions: {
							rows: 4,
						},
						default: '',
						placeholder: 'Budget over $10,000 and a timeline under 3 months is a hot lead',
						description: "What makes a good lead; the server's default rubric is used when empty",
					},
					{
						displayName: 'Write to Custom Field',
						name: 'writeToField',
						type: 'string',
						default: '',
						placeholder: 'lead_score',
						description: 'Custom field of the contact that receives the score, so the agent can read it',
					},
				],
			},
		],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		const returnData: INodeExecutionData[] = [];

		for (let i = 0; i < items.length; i++) {
			try {
				const causationEventId = getCausationEventId(items[i].json);
				const contactId = String(this.getNodeParameter('contactId', i) ?? '').trim();
				if (contactId === '') {
					throw new NodeOperationError(this.getNode(), 'Contact ID is empty', { itemIndex: i });
				}
				const conversationId = String(this.getNodeParameter('conversationId', i, '') ?? '').trim();
				const options = this.getNodeParameter('options', i, {}) as IDataObject;

				const body: IDataObject = {};
				if (conversationId !== '') body.conversationId = conversationId;
				if (typeof options.rubric === 'string' && options.rubric !== '') body.rubric = options.rubric;
				if (typeof options.writeToField === 'string' && options.writeToField !== '') {
					body.writeToField = options.writeToField;
				}

				const result = await agentBridgeApiRequest.call(
					this,
					'POST',
					`/v1/contacts/${encodeURIComponent(contactId)}/score`,
					body,
					undefined,
					causationEventId,
				);

				const json: IDataObject = {
					contactId: result.contactId ?? contactId,
					score: result.score,
					rationale: result.rationale,
					confidence: result.confidence,
				};
				// Kept so the next node in the chain (e.g. Reply to Conversation) finds it without an expression.
				if (conversationId !== '') json.conversationId = conversationId;
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
