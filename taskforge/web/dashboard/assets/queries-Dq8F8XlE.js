import{o as e}from"./index-D-6yT9Xa.js";var t=e(`
  query QueueChoices {
    queues(first: 100) { edges { node { id name isPaused } } }
  }
`);e(`
  fragment JobRow on Job {
    id
    jobType
    name
    status
    queueId
    workflowId
    priority
    attempts
    maxAttempts
    createdAt
    startedAt
    finishedAt
    progress
    queue { id name }
  }
`);export{t};