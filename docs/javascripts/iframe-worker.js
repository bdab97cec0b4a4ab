/* Search from file://, with no network.
 *
 * A page opened from the file system has the origin "null", and Chromium and
 * Firefox refuse to start a web worker there; Material's search runs in one. This
 * polyfill, loaded before the theme's scripts (mkdocs.yml, extra.polyfills), gives
 * such a page a Worker that runs the worker's script in a hidden iframe of the
 * same page instead. Over http(s) it does nothing. Its name keeps Material's
 * offline plugin from adding its own copy from a CDN. Written for this site
 * (tests/test_docs_site.py searches the built site from file:// in Chromium).
 */
(() => {
  if (location.protocol !== "file:" || typeof document === "undefined") return;

  class FrameWorker extends EventTarget {
    constructor(url) {
      super();
      this.pending = [];
      this.ready = false;
      this.frame = document.createElement("iframe");
      this.frame.hidden = true;
      this.frame.setAttribute("aria-hidden", "true");
      (document.body || document.documentElement).appendChild(this.frame);
      const scope = this.frame.contentWindow;
      // The worker's global scope: what it posts reaches this object's listeners.
      scope.postMessage = data => {
        setTimeout(() => {
          const event = new MessageEvent("message", { data });
          if (typeof this.onmessage === "function") this.onmessage(event);
          this.dispatchEvent(event);
        });
      };
      scope.importScripts = (...urls) =>
        urls.reduce((done, src) => done.then(() => this.load(src)), Promise.resolve());
      this.load(new URL(url, location.href).href).then(
        () => {
          this.ready = true;
          this.pending.splice(0).forEach(data => this.postMessage(data));
        },
        () => this.dispatchEvent(new Event("error"))
      );
    }

    load(src) {
      const scope = this.frame.contentWindow;
      return new Promise((resolve, reject) => {
        const script = scope.document.createElement("script");
        script.src = src;
        script.onload = resolve;
        script.onerror = reject;
        (scope.document.body || scope.document.documentElement).appendChild(script);
      });
    }

    postMessage(data) {
      if (!this.ready) {
        this.pending.push(data);
        return;
      }
      const scope = this.frame.contentWindow;
      setTimeout(() => scope.dispatchEvent(new scope.MessageEvent("message", { data })));
    }

    terminate() {
      this.frame.remove();
    }
  }

  window.Worker = FrameWorker;
})();
