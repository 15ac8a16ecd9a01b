import{p as e}from"./index-X1LKmurv.js";var t=e(`
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
    updatedAt
    startedAt
    finishedAt
    progress
    queue { id name }
  }
`),e(`
  fragment QueueFigures on QueueStats {
    waiting
    running
    scheduled
    succeededLastHour
    failedLastHour
    oldestWaitingAge
    countLimit
    throughput(minutes: $minutes) { minute succeeded failed }
  }
`);export{t};