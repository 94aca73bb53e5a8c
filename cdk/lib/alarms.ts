/**
 * Every alarm of the stack, made one way: over its threshold (0 unless given) for its periods,
 * missing data not breaching, and notifying the same actions when it fires and when it clears.
 */
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import { Construct } from "constructs";

export interface AlarmProps {
  alarmName: string;
  alarmDescription: string;
  metric: cloudwatch.IMetric;
  evaluationPeriods: number;
  threshold?: number;
}

/** An alarm action given by ARN (an SNS topic, most often). */
class ArnAction implements cloudwatch.IAlarmAction {
  constructor(private readonly arn: string) {}

  bind(): cloudwatch.AlarmActionConfig {
    return { alarmActionArn: this.arn };
  }
}

export class Alarms {
  readonly names: string[] = [];

  /** `actions`: the ARNs every alarm notifies. */
  constructor(private readonly actions: string[]) {}

  add(scope: Construct, id: string, props: AlarmProps): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(scope, id, {
      alarmName: props.alarmName,
      alarmDescription: props.alarmDescription,
      metric: props.metric,
      evaluationPeriods: props.evaluationPeriods,
      threshold: props.threshold ?? 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    for (const arn of this.actions) {
      alarm.addAlarmAction(new ArnAction(arn));
      alarm.addOkAction(new ArnAction(arn));
    }
    this.names.push(props.alarmName);
    return alarm;
  }
}
