import type { INodeProperties } from 'n8n-workflow';

/** The agent filter every trigger starts with; later dropdowns narrow to the chosen agent's values. */
export const agentFilter: INodeProperties = {
	displayName: 'Agent Name or ID',
	name: 'agentId',
	type: 'options',
	typeOptions: {
		loadOptionsMethod: 'getAgents',
	},
	default: '',
	description:
		'Only events of this agent. Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
};

/** Shown on every trigger, since the answer to "why did nothing arrive?" is almost always one of these. */
export const triggerNotice: INodeProperties = {
	displayName:
		'The trigger subscribes on the Agent Bridge server when the workflow is activated (or while it listens for a test event) and unsubscribes when it is deactivated. Every event is checked against its signature.',
	name: 'notice',
	type: 'notice',
	default: '',
};
