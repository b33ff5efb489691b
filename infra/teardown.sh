#!/bin/bash
# Deletes a Stratus stack (docs/deploy.md): turns the tables' deletion protection off (an update of
# the stack with TableDeletionProtection=false), deletes the stack, then the bridge's ECR
# repository. The tables and their data are deleted with the stack.
# Usage: infra/teardown.sh [stack-name]   (default: stratus)
set -euo pipefail

stack="${1:-stratus}"
region="${AWS_REGION:-$(aws configure get region)}"

read -r -p "Delete stack $stack in $region with all its tables and data? Type the stack name: " answer
[ "$answer" = "$stack" ] || { echo "teardown: not confirmed" >&2; exit 1; }

# Every other parameter keeps its previous value.
params="$(aws cloudformation describe-stacks --stack-name "$stack" --region "$region" \
  --query 'Stacks[0].Parameters[].ParameterKey' --output text)"
overrides=()
for p in $params; do
  if [ "$p" = TableDeletionProtection ]; then
    overrides+=("ParameterKey=$p,ParameterValue=false")
  else
    overrides+=("ParameterKey=$p,UsePreviousValue=true")
  fi
done
if aws cloudformation update-stack --stack-name "$stack" --region "$region" --use-previous-template \
  --capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND --parameters "${overrides[@]}" >/dev/null 2>&1; then
  aws cloudformation wait stack-update-complete --stack-name "$stack" --region "$region"
fi

aws cloudformation delete-stack --stack-name "$stack" --region "$region"
aws cloudformation wait stack-delete-complete --stack-name "$stack" --region "$region"
aws ecr delete-repository --repository-name "$stack-bridge" --region "$region" --force >/dev/null 2>&1 || true
echo "teardown: $stack deleted"
