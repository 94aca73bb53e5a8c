/**
 * The CloudWatch dashboard a person opens when an alarm fires: images per minute and their
 * outcomes (from the processor's EMF metrics), time per image, the dead-letter queue, and the
 * work queue with the processor. The same widgets as terraform/alerts.tf.
 */

export interface DashboardNames {
  region: string;
  namespace: string;
  queueName: string;
  dlqName: string;
  processorName: string;
}

const OUTCOMES = ["done", "rejected", "failed", "ignored"];

export function dashboardBody(n: DashboardNames): object {
  const images = OUTCOMES.map((outcome) => [n.namespace, "Images", "Outcome", outcome]);
  return {
    widgets: [
      {
        type: "metric",
        x: 0,
        y: 0,
        width: 12,
        height: 6,
        properties: {
          title: "Images per minute, by outcome",
          region: n.region,
          stat: "Sum",
          period: 60,
          view: "timeSeries",
          stacked: true,
          metrics: images,
        },
      },
      {
        type: "metric",
        x: 12,
        y: 0,
        width: 12,
        height: 6,
        properties: {
          title: "Outcomes over the dashboard's time range",
          region: n.region,
          stat: "Sum",
          period: 86400,
          view: "singleValue",
          metrics: images,
        },
      },
      {
        type: "metric",
        x: 0,
        y: 6,
        width: 12,
        height: 6,
        properties: {
          title: "Time per image (TotalMs), p50 and p99",
          region: n.region,
          period: 60,
          view: "timeSeries",
          metrics: [
            [n.namespace, "TotalMs", "Outcome", "done", { stat: "p50", label: "p50" }],
            [n.namespace, "TotalMs", "Outcome", "done", { stat: "p99", label: "p99" }],
          ],
          yAxis: { left: { label: "ms", showUnits: false } },
        },
      },
      {
        type: "metric",
        x: 12,
        y: 6,
        width: 12,
        height: 6,
        properties: {
          title: "Dead-letter queue: depth and age of the oldest message",
          region: n.region,
          stat: "Maximum",
          period: 60,
          view: "timeSeries",
          metrics: [
            [
              "AWS/SQS",
              "ApproximateNumberOfMessagesVisible",
              "QueueName",
              n.dlqName,
              { label: "messages" },
            ],
            [
              "AWS/SQS",
              "ApproximateAgeOfOldestMessage",
              "QueueName",
              n.dlqName,
              { label: "oldest (s)", yAxis: "right" },
            ],
          ],
        },
      },
      {
        type: "metric",
        x: 0,
        y: 12,
        width: 24,
        height: 6,
        properties: {
          title: "Work queue and processor",
          region: n.region,
          stat: "Maximum",
          period: 60,
          view: "timeSeries",
          metrics: [
            [
              "AWS/SQS",
              "ApproximateNumberOfMessagesVisible",
              "QueueName",
              n.queueName,
              { label: "queued" },
            ],
            [
              "AWS/Lambda",
              "ConcurrentExecutions",
              "FunctionName",
              n.processorName,
              { label: "processor instances" },
            ],
            [
              "AWS/Lambda",
              "Errors",
              "FunctionName",
              n.processorName,
              { stat: "Sum", label: "processor errors" },
            ],
            [
              "AWS/Lambda",
              "Throttles",
              "FunctionName",
              n.processorName,
              { stat: "Sum", label: "processor throttles" },
            ],
          ],
        },
      },
    ],
  };
}
