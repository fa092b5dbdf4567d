import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { extname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig, type Plugin } from "vite";

const here = fileURLToPath(new URL(".", import.meta.url));
const pdfjsRoot = join(here, "node_modules", "pdfjs-dist");

// pdf.js fetches these at run time: CMaps for PDFs whose Chinese fonts are not embedded (common in
// decks made with WPS or PowerPoint), the standard fonts, and the wasm image decoders. The app runs on
// closed networks, so they are served from our own origin under /pdfjs/ (see src/slides.ts).
const pdfjsAssetDirs = ["cmaps", "standard_fonts", "wasm", "iccs"];
const pdfjsPublicPath = "/pdfjs/";

const contentTypes: Record<string, string> = {
  ".bcmap": "application/octet-stream",
  ".pfb": "application/octet-stream",
  ".ttf": "font/ttf",
  ".wasm": "application/wasm",
  ".js": "text/javascript",
  ".icc": "application/vnd.iccprofile",
};

function pdfjsAssets(): Plugin {
  return {
    name: "liveexchange-pdfjs-assets",
    configureServer(server) {
      server.middlewares.use(pdfjsPublicPath, (req, res, next) => {
        const relative = normalize(decodeURIComponent((req.url ?? "").split("?")[0] ?? "")).replace(/^[/\\]+/, "");
        const [dir] = relative.split(sep);
        const file = join(pdfjsRoot, relative);
        if (!dir || !pdfjsAssetDirs.includes(dir) || !file.startsWith(pdfjsRoot + sep) || !existsSync(file) || !statSync(file).isFile()) {
          next();
          return;
        }
        res.setHeader("Content-Type", contentTypes[extname(file)] ?? "application/octet-stream");
        createReadStream(file).pipe(res);
      });
    },
    generateBundle() {
      for (const dir of pdfjsAssetDirs) {
        for (const name of readdirSync(join(pdfjsRoot, dir))) {
          this.emitFile({
            type: "asset",
            fileName: `${pdfjsPublicPath.slice(1)}${dir}/${name}`,
            source: readFileSync(join(pdfjsRoot, dir, name)),
          });
        }
      }
    },
  };
}

// `npm run dev` proxies the API and the hub to a locally running LiveExchange.Hub.
const hubUrl = process.env.LX_HUB_URL ?? "http://localhost:5080";

export default defineConfig({
  plugins: [pdfjsAssets()],
  build: {
    outDir: "../Hub/wwwroot",
    emptyOutDir: true,
    target: "es2022",
    rollupOptions: {
      input: {
        index: join(here, "index.html"),
        viewer: join(here, "viewer.html"),
        host: join(here, "host.html"),
        organiser: join(here, "organiser.html"),
      },
      output: {
        // One stylesheet for all pages; without this it is named after whichever shared chunk imports it.
        assetFileNames: (asset) =>
          asset.names.some((name) => name.endsWith(".css")) ? "assets/style-[hash][extname]" : "assets/[name]-[hash][extname]",
        // Libraries in their own files: they change less often than the app, so browsers keep them cached.
        manualChunks: {
          signalr: ["@microsoft/signalr"],
          pdfjs: ["pdfjs-dist"],
        },
      },
      onwarn(warning, warn) {
        // The SignalR client ships /*#__PURE__*/ comments in places Rollup ignores; harmless noise.
        if (warning.code === "INVALID_ANNOTATION" && warning.id?.includes("@microsoft/signalr")) return;
        warn(warning);
      },
    },
  },
  server: {
    proxy: {
      "/api": { target: hubUrl, changeOrigin: false },
      "/hubs": { target: hubUrl, changeOrigin: false, ws: true },
    },
  },
});
