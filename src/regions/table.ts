/**
 * Geographies a customer can be pinned to, and the cloud regions that sit in each.
 * A deployment's `region_name` may be either; both resolve to one geography.
 * Cloud regions are listed by the provider's own name (Azure, AWS, GCP). A name
 * that is in none of these lists is a configuration error, never a guess.
 */
export const GEOGRAPHIES = {
  eu: "European Union",
  us: "United States",
  uk: "United Kingdom",
  ch: "Switzerland",
  no: "Norway",
  ca: "Canada",
  au: "Australia",
  jp: "Japan",
  in: "India",
  kr: "South Korea",
  sg: "Singapore",
  br: "Brazil",
  za: "South Africa",
  ae: "United Arab Emirates",
} as const;

export type Geography = keyof typeof GEOGRAPHIES;

const CLOUD: Record<Geography, string[]> = {
  eu: [
    // Azure
    "westeurope",
    "northeurope",
    "swedencentral",
    "swedensouth",
    "francecentral",
    "francesouth",
    "germanywestcentral",
    "germanynorth",
    "italynorth",
    "polandcentral",
    "spaincentral",
    "austriaeast",
    "belgiumcentral",
    "denmarkeast",
    "finlandcentral",
    "greececentral",
    // AWS
    "eu-central-1",
    "eu-west-1",
    "eu-west-3",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    // GCP
    "europe-west1",
    "europe-west3",
    "europe-west4",
    "europe-west8",
    "europe-west9",
    "europe-west10",
    "europe-west12",
    "europe-north1",
    "europe-central2",
    "europe-southwest1",
  ],
  us: [
    "eastus",
    "eastus2",
    "centralus",
    "northcentralus",
    "southcentralus",
    "westcentralus",
    "westus",
    "westus2",
    "westus3",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "us-central1",
    "us-east1",
    "us-east4",
    "us-east5",
    "us-south1",
    "us-west1",
    "us-west4",
  ],
  uk: ["uksouth", "ukwest", "eu-west-2", "europe-west2"],
  ch: ["switzerlandnorth", "switzerlandwest", "europe-west6", "eu-central-2"],
  no: ["norwayeast", "norwaywest"],
  ca: [
    "canadacentral",
    "canadaeast",
    "ca-central-1",
    "ca-west-1",
    "northamerica-northeast1",
    "northamerica-northeast2",
  ],
  au: [
    "australiaeast",
    "australiasoutheast",
    "australiacentral",
    "ap-southeast-2",
    "ap-southeast-4",
    "australia-southeast1",
    "australia-southeast2",
  ],
  jp: ["japaneast", "japanwest", "ap-northeast-1", "ap-northeast-3", "asia-northeast1", "asia-northeast2"],
  in: ["centralindia", "southindia", "westindia", "ap-south-1", "ap-south-2", "asia-south1", "asia-south2"],
  kr: ["koreacentral", "koreasouth", "ap-northeast-2", "asia-northeast3"],
  sg: ["southeastasia", "ap-southeast-1", "asia-southeast1"],
  br: ["brazilsouth", "sa-east-1", "southamerica-east1"],
  za: ["southafricanorth", "southafricawest", "af-south-1", "africa-south1"],
  ae: ["uaenorth", "uaecentral", "me-central-1", "me-central2"],
};

const LOOKUP = new Map<string, Geography>();
for (const g of Object.keys(GEOGRAPHIES) as Geography[]) {
  LOOKUP.set(g, g);
  for (const r of CLOUD[g]) LOOKUP.set(r, g);
}
// Common spellings of the geographies themselves.
LOOKUP.set("europe", "eu");
LOOKUP.set("gb", "uk");

/** Geography for a geography code or a cloud region name; undefined when unknown. */
export function geographyOf(name: string): Geography | undefined {
  return LOOKUP.get(name.trim().toLowerCase());
}

export function isGeography(name: string): name is Geography {
  return Object.hasOwn(GEOGRAPHIES, name);
}

export function listGeographies(): Geography[] {
  return Object.keys(GEOGRAPHIES) as Geography[];
}

export function cloudRegionsOf(g: Geography): readonly string[] {
  return CLOUD[g];
}

const CLOUD_NAMES = new Set(Object.values(CLOUD).flat());

/** True for a provider's region name (e.g. "westeurope"), false for geography codes and aliases. */
export function isCloudRegion(name: string): boolean {
  return CLOUD_NAMES.has(name.toLowerCase());
}
