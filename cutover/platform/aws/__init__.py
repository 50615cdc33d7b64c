"""AWS adapters over boto3: ALB and Route 53 routing, CloudWatch metrics, EKS Fargate, S3 reviews."""
