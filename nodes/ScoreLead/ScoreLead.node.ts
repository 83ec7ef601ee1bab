import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeConnectionTypes, NodeOperationError } from 'n8n-workflow';

import {
	agentBridgeApiRequest,
	contactPath,
	getCausationEventId,
	itemError,
	parseTags,
	requiredString,
} from '../shared/GenericFunctions';

/** The server's rubric when none is given; shown in the node so users know what they get. */
export const DEFAULT_RUBRIC =
	'Budget 0-4 points (20,000 or more: 4; 10,000: 3; 5,000: 2; 1,000: 1), timeline 0-3 (within a month: 3; within 3 months: 2; within 6 months: 1), service or need known: 1, name known: 1, email or phone known: 1. The total is kept between 1 and 10; confidence grows with how many of these are known.';

export class ScoreLead implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Score Lead',
		name: 'scoreLead',
		icon: { light: 'file:../shared/agentBridge.svg', dark: 'file:../shared/agentBridge.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{$parameter["rubricType"] === "custom" ? "Custom rubric" : "Default rubric"}}',
		description:
			"Scores a lead from 1 to 10 with AI, from the contact's data and conversation, against a rubric.",
		documentationUrl: 'https://github.com/agent-bridge/agent-bridge/blob/main/docs/nodes.md#score-lead',
		defaults: {
			name: 'Score Lead',
		},
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
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
				description:
					"Conversation whose transcript is scored; when empty, the server uses the conversation of the triggering event, or none",
			},
			{
				displayName: 'Rubric',
				name: 'rubricType',
				type: 'options',
				noDataExpression: true,
				options: [
					{
						name: 'Default',
						value: 'default',
						description: 'Budget, timeline, need and contact details',
					},
					{
						name: 'Custom',
						value: 'custom',
						description: 'Describe in your own words what makes a good lead',
					},
				],
				default: 'default',
			},
			{
				displayName: `Default rubric: ${DEFAULT_RUBRIC}`,
				name: 'defaultRubricNotice',
				type: 'notice',
				default: '',
				displayOptions: {
					show: {
						rubricType: ['default'],
					},
				},
			},
			{
				displayName: 'Custom Rubric',
				name: 'rubric',
				type: 'string',
				typeOptions: {
					rows: 5,
				},
				required: true,
				default: '',
				placeholder:
					'10: budget over $20,000 and wants to start this month. 7: budget over $10,000 within 3 months. 3 or less: no budget or just browsing.',
				description: 'What makes a good lead, in plain words; the AI scores against it',
				displayOptions: {
					show: {
						rubricType: ['custom'],
					},
				},
			},
			{
				displayName: 'Contact Fields to Use',
				name: 'fieldsToUse',
				type: 'options',
				noDataExpression: true,
				options: [
					{
						name: 'All',
						value: 'all',
						description: 'Standard fields, custom fields and the fields the agent collected',
					},
					{
						name: 'Selected',
						value: 'selected',
						description: 'Only the fields named below',
					},
				],
				default: 'all',
			},
			{
				displayName: 'Fields',
				name: 'fields',
				type: 'string',
				required: true,
				default: '',
				placeholder: 'budget, timeline, service_interest, email',
				description:
					'Comma-separated names of standard fields (firstName, lastName, email, phone), custom fields or collected fields',
				displayOptions: {
					show: {
						fieldsToUse: ['selected'],
					},
				},
			},
			{
				displayName: 'Transcript',
				name: 'transcript',
				type: 'options',
				noDataExpression: true,
				options: [
					{
						name: 'Whole Conversation',
						value: 'all',
					},
					{
						name: 'Last Messages',
						value: 'last',
						description: 'Only the most recent messages',
					},
					{
						name: 'None',
						value: 'none',
						description: 'Score the contact data only',
					},
				],
				default: 'all',
			},
			{
				displayName: 'Number of Messages',
				name: 'transcriptMessages',
				type: 'number',
				typeOptions: {
					minValue: 1,
				},
				default: 20,
				description: 'How many of the most recent messages (contact and agent) the AI reads',
				displayOptions: {
					show: {
						transcript: ['last'],
					},
				},
			},
			{
				displayName: 'Tag by Score',
				name: 'tagByScore',
				type: 'boolean',
				default: false,
				description: 'Whether to tag the contact by the score, e.g. hot_lead from 7 up and nurture_lead below',
			},
			{
				displayName: 'Tag If Score Is at Least',
				name: 'tagIfAtLeast',
				type: 'number',
				typeOptions: {
					minValue: 1,
					maxValue: 10,
				},
				default: 7,
				displayOptions: {
					show: {
						tagByScore: [true],
					},
				},
			},
			{
				displayName: 'Hot Tag',
				name: 'hotTag',
				type: 'string',
				default: 'hot_lead',
				description: 'Tag added when the score reaches the threshold',
				displayOptions: {
					show: {
						tagByScore: [true],
					},
				},
			},
			{
				displayName: 'Other Tag',
				name: 'otherTag',
				type: 'string',
				default: 'nurture_lead',
				description: 'Tag added when the score is below the threshold; leave empty to add none',
				displayOptions: {
					show: {
						tagByScore: [true],
					},
				},
			},
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				placeholder: 'Add Option',
				default: {},
				options: [
					{
						displayName: 'Write to Custom Field',
						name: 'writeToField',
						type: 'string',
						default: '',
						placeholder: 'lead_score',
						description:
							'Custom field of the contact that receives the score, so the agent can read it as {{contact.custom_field.lead_score}}',
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
				const contactId = requiredString.call(this, 'contactId', i, 'Contact ID');
				const conversationId = String(this.getNodeParameter('conversationId', i, '') ?? '').trim();
				const body = buildScoreBody.call(this, i, conversationId);

				const result = await agentBridgeApiRequest.call(
					this,
					'POST',
					`${contactPath(contactId)}/score`,
					body,
					undefined,
					causationEventId,
					i,
				);

				const json: IDataObject = {
					contactId: result.contactId ?? contactId,
					score: result.score,
					rationale: result.rationale,
					confidence: result.confidence,
				};
				// Kept so the next node in the chain (e.g. Reply to Conversation) finds it without an expression.
				if (conversationId !== '') json.conversationId = conversationId;
				if (body.writeToField) json.writtenToField = body.writeToField;

				if (this.getNodeParameter('tagByScore', i, false) as boolean) {
					const threshold = Number(this.getNodeParameter('tagIfAtLeast', i, 7));
					const hot = Number(result.score) >= threshold;
					const tag = String(
						this.getNodeParameter(hot ? 'hotTag' : 'otherTag', i, '') ?? '',
					).trim();
					json.hot = hot;
					json.tagAdded = null;
					if (tag !== '') {
						await agentBridgeApiRequest.call(
							this,
							'POST',
							`${contactPath(contactId)}/tags`,
							{ tags: parseTags(tag) },
							undefined,
							causationEventId,
							i,
						);
						json.tagAdded = tag;
					}
				}

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

/** Request body: only what differs from the server's defaults, so older servers keep working. */
function buildScoreBody(this: IExecuteFunctions, i: number, conversationId: string): IDataObject {
	const options = this.getNodeParameter('options', i, {}) as IDataObject;
	const body: IDataObject = {};
	if (conversationId !== '') body.conversationId = conversationId;

	if (this.getNodeParameter('rubricType', i, 'default') === 'custom') {
		body.rubric = requiredString.call(this, 'rubric', i, 'Custom Rubric');
	} else if (typeof options.rubric === 'string' && options.rubric.trim() !== '') {
		// Workflows saved before the Rubric choice existed kept their rubric among the options.
		body.rubric = options.rubric;
	}

	if (this.getNodeParameter('fieldsToUse', i, 'all') === 'selected') {
		const fields = parseTags(this.getNodeParameter('fields', i, ''));
		if (fields.length === 0) {
			throw new NodeOperationError(this.getNode(), 'Name at least one field to use', { itemIndex: i });
		}
		body.fields = fields;
	}

	const transcript = this.getNodeParameter('transcript', i, 'all') as string;
	if (transcript === 'none') body.transcriptMessages = 0;
	if (transcript === 'last') {
		body.transcriptMessages = Math.max(1, Math.floor(Number(this.getNodeParameter('transcriptMessages', i, 20))));
	}

	if (typeof options.writeToField === 'string' && options.writeToField.trim() !== '') {
		body.writeToField = options.writeToField.trim();
	}
	return body;
}
