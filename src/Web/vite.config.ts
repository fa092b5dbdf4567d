import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { extname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { brotliCompress, constants as zlib, gzip } from "node:zlib";
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

// Viewers on weak links (500 kbit/s) wait for every byte of pdf.js: the hub serves these siblings when
// the browser accepts them (src/Hub/Live/WebAppFiles.cs). Compressed once here, at the highest levels,
// rather than on every request. Binary formats that are already compressed (.bcmap, fonts, .icc) are left.
const compressible = new Set([".js", ".mjs", ".css", ".html", ".json", ".svg", ".wasm"]);

const brotli = promisify(brotliCompress);
const gzipped = promisify(gzip);

function precompress(): Plugin {
  let outDir = "";
  return {
    name: "liveexchange-precompress",
    apply: "build",
    configResolved(config) {
      outDir = config.build.outDir.startsWith(sep) ? config.build.outDir : join(config.root, config.build.outDir);
    },
    async closeBundle() {
      const walk = (dir: string): string[] =>
        readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
          entry.isDirectory() ? walk(join(dir, entry.name)) : [join(dir, entry.name)],
        );
      // zlib's async calls run on libuv's thread pool: the files compress in parallel.
      const files = walk(outDir).filter((file) => compressible.has(extname(file)));
      await Promise.all(
        files.map(async (file) => {
          const source = await readFile(file);
          const [br, gz] = await Promise.all([
            brotli(source, {
              params: {
                [zlib.BROTLI_PARAM_QUALITY]: zlib.BROTLI_MAX_QUALITY,
                [zlib.BROTLI_PARAM_SIZE_HINT]: source.length,
                [zlib.BROTLI_PARAM_MODE]: extname(file) === ".wasm" ? zlib.BROTLI_MODE_GENERIC : zlib.BROTLI_MODE_TEXT,
              },
            }),
            gzipped(source, { level: 9 }),
          ]);
          // A sibling that saves little is not worth a Content-Encoding.
          if (br.length < source.length * 0.9) await writeFile(`${file}.br`, br);
          if (gz.length < source.length * 0.9) await writeFile(`${file}.gz`, gz);
        }),
      );
    },
  };
}

// `npm run dev` proxies the API and the hub to a locally running LiveExchange.Hub.
const hubUrl = process.env.LX_HUB_URL ?? "http://localhost:5080";

export default defineConfig({
  plugins: [pdfjsAssets(), precompress()],
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
        feedback: join(here, "feedback.html"),
        // --- Presenter view ---
        presenter: join(here, "presenter.html"),
        record: join(here, "record.html"),
        verify: join(here, "verify.html"),
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
