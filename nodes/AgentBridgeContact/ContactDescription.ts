import type { INodeProperties } from 'n8n-workflow';
import { standardContactFields } from '../shared/ContactFields';

export const contactOperations: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: {
			show: {
				resource: ['contact'],
			},
		},
		options: [
			{
				name: 'Add Tags',
				value: 'addTags',
				description: 'Add one or more tags to a contact',
				action: 'Add tags to a contact',
			},
			{
				name: 'Create or Update',
				value: 'upsert',
				description: 'Create a new record, or update the current one if it already exists (upsert)',
				action: 'Create or update a contact',
			},
			{
				name: 'Find',
				value: 'find',
				description: 'Find contacts by email, phone or channel identity',
				action: 'Find contacts',
			},
			{
				name: 'Get',
				value: 'get',
				description: 'Get a contact with its custom fields and tags',
				action: 'Get a contact',
			},
			{
				name: 'Remove Tag',
				value: 'removeTag',
				description: 'Remove a tag from a contact',
				action: 'Remove a tag from a contact',
			},
			{
				name: 'Update',
				value: 'update',
				description: 'Update standard and custom fields of a contact',
				action: 'Update a contact',
			},
		],
		default: 'get',
	},
];

export const contactFields: INodeProperties[] = [
	{
		displayName: 'Contact ID',
		name: 'contactId',
		type: 'string',
		required: true,
		default: '={{ $json.contactId }}',
		displayOptions: {
			show: {
				resource: ['contact'],
				operation: ['addTags', 'get', 'removeTag', 'update'],
			},
		},
		description: 'ID of the contact',
	},

	/* contact:update */
	{
		displayName: 'Update Fields',
		name: 'updateFields',
		type: 'collection',
		placeholder: 'Add Field',
		default: {},
		displayOptions: {
			show: {
				resource: ['contact'],
				operation: ['update'],
			},
		},
		options: standardContactFields,
	},
	{
		displayName: 'Custom Fields',
		name: 'customFields',
		type: 'fixedCollection',
		placeholder: 'Add Custom Field',
		typeOptions: {
			multipleValues: true,
		},
		default: {},
		displayOptions: {
			show: {
				resource: ['contact'],
				operation: ['update', 'upsert'],
			},
		},
		description:
			'Custom fields to set; the agent reads them back, e.g. as {{contact.custom_field.lead_score}}',
		options: [
			{
				displayName: 'Field',
				name: 'field',
				values: [
					{
						displayName: 'Name',
						name: 'name',
						type: 'string',
						default: '',
						placeholder: 'lead_score',
						description: 'Name of the custom field',
					},
					{
						displayName: 'Value',
						name: 'value',
						type: 'string',
						default: '',
						description: 'Value to set; a plain number is stored as a number',
					},
				],
			},
		],
	},

	/* contact:addTags */
	{
		displayName: 'Tags',
		name: 'tags',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'hot_lead, interested_pricing',
		displayOptions: {
			show: {
				resource: ['contact'],
				operation: ['addTags'],
			},
		},
		description: 'Comma-separated tags to add',
	},

	/* contact:find */
	{
		displayName: 'Find By',
		name: 'findBy',
		type: 'options',
		noDataExpression: true,
		options: [
			{
				name: 'Email',
				value: 'email',
			},
			{
				name: 'Phone',
				value: 'phone',
			},
			{
				name: 'Channel Identity',
				value: 'identity',
				description: "The contact's address on a channel, e.g. a Telegram chat ID",
			},
		],
		default: 'email',
		displayOptions: {
			show: {
				resource: ['contact'],
				operation: ['find'],
			},
		},
	},
	{
		displayName: 'Email',
		name: 'email',
		type: 'string',
		placeholder: 'name@email.com',
		required: true,
		default: '',
		description: 'Email address to look for (exact match)',
		displayOptions: {
			show: {
				resource: ['contact'],
				operation: ['find'],
				findBy: ['email'],
			},
		},
	},
	{
		displayName: 'Phone',
		name: 'phone',
		type: 'string',
		placeholder: '+15551234567',
		required: true,
		default: '',
		description: 'Phone number to look for (exact match)',
		displayOptions: {
			show: {
				resource: ['contact'],
				operation: ['find'],
				findBy: ['phone'],
			},
		},
	},
	{
		displayName: 'Channel',
		name: 'identityChannel',
		type: 'string',
		placeholder: 'telegram',
		required: true,
		default: '',
		description: 'Channel of the identity: telegram, whatsapp, sms, email, slack, …',
		displayOptions: {
			show: {
				resource: ['contact'],
				operation: ['find'],
				findBy: ['identity'],
			},
		},
	},
	{
		displayName: 'Address',
		name: 'identityAddress',
		type: 'string',
		placeholder: '123456789',
		required: true,
		default: '',
		description: "The contact's address on that channel (exact match): a chat ID, a phone number, an email address, a user ID",
		displayOptions: {
			show: {
				resource: ['contact'],
				operation: ['find'],
				findBy: ['identity'],
			},
		},
	},

	/* contact:upsert */
	{
		displayName: 'Email',
		name: 'email',
		type: 'string',
		placeholder: 'name@email.com',
		default: '',
		description:
			'Email address: the contact with this email is updated, or a new one is created with it. Give an email, a phone or both.',
		displayOptions: {
			show: {
				resource: ['contact'],
				operation: ['upsert'],
			},
		},
	},
	{
		displayName: 'Phone',
		name: 'phone',
		type: 'string',
		placeholder: '+15551234567',
		default: '',
		description:
			'Phone number: used to find the contact when no email is given or none matches, and stored on a new contact',
		displayOptions: {
			show: {
				resource: ['contact'],
				operation: ['upsert'],
			},
		},
	},
	{
		displayName: 'Additional Fields',
		name: 'additionalFields',
		type: 'collection',
		placeholder: 'Add Field',
		default: {},
		displayOptions: {
			show: {
				resource: ['contact'],
				operation: ['upsert'],
			},
		},
		options: [
			{
				displayName: 'First Name',
				name: 'firstName',
				type: 'string',
				default: '',
			},
			{
				displayName: 'Last Name',
				name: 'lastName',
				type: 'string',
				default: '',
			},
			{
				displayName: 'Tags',
				name: 'tags',
				type: 'string',
				default: '',
				placeholder: 'newsletter, referral_lead',
				description: 'Comma-separated tags to add',
			},
		],
	},

	/* contact:removeTag */
	{
		displayName: 'Tag',
		name: 'tag',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'nurture_lead',
		displayOptions: {
			show: {
				resource: ['contact'],
				operation: ['removeTag'],
			},
		},
		description: 'Tag to remove',
	},
];
