import type { AwsSettings } from "../../router/deployment.js";
import { arnRegion, modelIdOf } from "./region.js";

/** LiteLLM's default when neither aws_region_name nor AWS_REGION_NAME / AWS_REGION is set. */
export const DEFAULT_AWS_REGION = "us-west-2";

export interface BedrockParams {
  readonly aws_access_key_id?: string;
  readonly aws_secret_access_key?: string;
  readonly aws_session_token?: string;
  readonly aws_region_name?: string;
  readonly aws_bedrock_runtime_endpoint?: string;
  readonly api_base?: string;
  readonly base_url?: string;
}

export type BedrockSettings =
  | { ok: true; aws: AwsSettings; apiBase: string }
  | { ok: false; key: string; message: string };

/**
 * The endpoint and signing settings of a `bedrock/<model>` deployment, as LiteLLM resolves them:
 * api_base, then aws_bedrock_runtime_endpoint, then the region's public runtime endpoint; the region
 * from aws_region_name, else an ARN's own region, else us-west-2.
 */
export function bedrockSettings(model: string, p: BedrockParams): BedrockSettings {
  if (!p.aws_access_key_id || !p.aws_secret_access_key)
    return {
      ok: false,
      key: p.aws_access_key_id ? "aws_secret_access_key" : "aws_access_key_id",
      message:
        "bedrock deployments need aws_access_key_id and aws_secret_access_key, here or in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (instance roles and AWS profiles are not supported yet); this deployment is skipped",
    };
  const region = p.aws_region_name ?? arnRegion(modelIdOf(model)) ?? DEFAULT_AWS_REGION;
  const apiBase =
    p.api_base ??
    p.base_url ??
    p.aws_bedrock_runtime_endpoint ??
    `https://bedrock-runtime.${region}.amazonaws.com`;
  return {
    ok: true,
    aws: {
      accessKeyId: p.aws_access_key_id,
      secretAccessKey: p.aws_secret_access_key,
      sessionToken: p.aws_session_token,
      region,
    },
    apiBase,
  };
}
