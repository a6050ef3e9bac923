// HttpObserver (circus.plugins.http_observer.HttpObserver): every `loop_rate` seconds GET `check_url`;
// the response time goes to statsd, a failure counts as an error and can restart a watcher.
// (0.19's used HTTP client calls that today's Tornado no longer has; this one works.)

import { float, optionalText, url } from "../../config/options/kinds.ts";
import type { PluginOptionTable } from "../../config/options/plugin.ts";
import { option } from "../../config/options/spec.ts";
import { StatsdObserver, observerOptions } from "./statsd.ts";

export const HTTP_OBSERVER_OPTIONS = {
  ...observerOptions("http_observer"),
  check_url: option(url(["http", "https"]), {
    default: "http://localhost/",
    doc: "URL to GET; a status ≥ 400 or no answer is an error",
  }),
  timeout: option(float, {
    default: 10,
    range: { min: 0, text: "0 or more seconds" },
    doc: "seconds to wait for the whole response",
  }),
  restart_on_error: option(optionalText, { default: null, doc: "watcher to restart when the check fails" }),
};

/** What Tornado reports for a request that got no HTTP answer (refused, timed out, reset). */
const NO_RESPONSE = 599;

export class HttpObserver extends StatsdObserver<typeof HTTP_OBSERVER_OPTIONS> {
  static override pluginName = "http_observer";
  static override options: PluginOptionTable = HTTP_OBSERVER_OPTIONS;

  protected override async lookAfter(): Promise<void> {
    const started = performance.now();
    let code: number;
    try {
      const response = await fetch(this.options.check_url, {
        signal: AbortSignal.timeout(this.options.timeout * 1000),
        headers: { "user-agent": "circus-http-observer" },
      });
      await response.arrayBuffer(); // the time counts the whole body, as Tornado's request_time does
      code = response.status;
    } catch (err) {
      this.logger.debug(`${this.options.check_url}: ${(err as Error).message}`);
      code = NO_RESPONSE;
    }
    if (code < 400) {
      this.statsd.timed("http_stats.request_time", Math.trunc(performance.now() - started));
      return;
    }
    this.logger.warning(`${this.options.check_url}: ${code === NO_RESPONSE ? "no response" : `status ${code}`}`);
    this.statsd.increment("http_stats.error");
    this.statsd.increment(`http_stats.error.${code}`);
    if (this.options.restart_on_error) {
      this.cast("restart", { name: this.options.restart_on_error });
      this.statsd.increment("http_stats.restart_on_error");
    }
  }
}
