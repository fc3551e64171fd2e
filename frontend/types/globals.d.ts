// What plyr's browser modules use from scripts the pages load beside them (not from npm).

interface Window {
  /** htmx (frontend/node_modules/htmx.org), loaded by the page before plyr's modules */
  htmx?: {
    ajax(method: string, url: string, context: Record<string, unknown>): Promise<void>;
  };
}
