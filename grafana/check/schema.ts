// The types a dashboard JSON file must satisfy: @grafana/schema's, with enums turned into
// the string values JSON holds, panel options and field config typed by panel type, and
// Prometheus queries typed by the fields Grafana's Prometheus datasource reads.
import type {
  AnnotationQuery,
  Dashboard,
  DataSourceRef,
  FieldConfig,
  FieldConfigSource,
  Panel,
  RowPanel,
} from "@grafana/schema";
import type * as stat from "@grafana/schema/dist/esm/raw/composable/stat/panelcfg/x/StatPanelCfg_types.gen";
import type * as timeseries from "@grafana/schema/dist/esm/raw/composable/timeseries/panelcfg/x/TimeSeriesPanelCfg_types.gen";

// A TypeScript string enum accepts only its members, never the strings JSON holds;
// `${E}` is the union of those strings. Everything else is mapped through unchanged,
// so optional fields stay optional and excess properties are still rejected.
export type Json<T> = T extends string
  ? `${T}`
  : T extends ReadonlyArray<infer U>
    ? Array<Json<U>>
    : T extends object
      ? { [K in keyof T]: Json<T[K]> }
      : T;

/** A PromQL query as Grafana's Prometheus datasource stores it. */
export interface PromQuery {
  refId: string;
  datasource: { type: "prometheus"; uid: string };
  expr: string;
  legendFormat?: string;
  range?: boolean;
  instant?: boolean;
  exemplar?: boolean;
  interval?: string;
  format?: "time_series" | "table" | "heatmap";
  editorMode?: "code" | "builder";
}

type Typed<Type extends string, Options, Custom> = Omit<
  Panel,
  "type" | "options" | "fieldConfig" | "targets" | "datasource"
> & {
  type: Type;
  datasource: DataSourceRef;
  options: Options;
  // The schema's FieldConfig lets `custom` hold any extra key; here it holds only the
  // panel type's own field options, so a misspelt one is an error.
  fieldConfig: Omit<FieldConfigSource, "defaults"> & {
    defaults: Omit<FieldConfig, "custom"> & { custom?: Custom };
  };
  targets: PromQuery[];
  title: string;
  description: string;
};

export type TimeSeriesPanel = Json<Typed<"timeseries", timeseries.Options, timeseries.FieldConfig>>;
export type StatPanel = Json<Typed<"stat", stat.Options, Record<string, never>>>;
export type Row = Json<Omit<RowPanel, "type"> & { type: "row" }>;
/** Prometheus annotations keep their query fields beside the annotation's own. */
export type PromAnnotation = Json<Omit<AnnotationQuery, "target">> & {
  expr: string;
  step?: string;
  titleFormat?: string;
  tagKeys?: string;
  textFormat?: string;
  useValueForTime?: boolean;
};

export type DashboardJson = Json<Omit<Dashboard, "annotations">> & {
  annotations: { list: PromAnnotation[] };
};
