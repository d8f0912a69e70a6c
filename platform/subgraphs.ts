/**
 * The subgraphs, in the order the gateway composes them: the one list the gateway's composition and
 * endpoints, the subgraph servers and the test processes derive theirs from. Each has its SDL in
 * schema/<name>.graphql and its code in subgraphs/<name>/.
 */
export const subgraphNames = ['usage', 'specification', 'party'] as const;

export type SubgraphName = (typeof subgraphNames)[number];
