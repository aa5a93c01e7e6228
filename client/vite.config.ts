import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * `npm run dev -w client`: the client with hot reload on http://localhost:5173, its /api requests sent on to the
 * running system's gateway (`npm start`, http://localhost:3000; `API_TARGET` to change it). `npm run build -w
 * client` writes dist/, which the gateway serves at /.
 */
export default defineConfig({
  plugins: [react()],
  server: {
    host: '127.0.0.1',
    proxy: { '/api': { target: process.env.API_TARGET ?? 'http://127.0.0.1:3000', changeOrigin: false } },
  },
  // No source maps in the build: they would be served with the app.
  build: { outDir: 'dist', sourcemap: false },
});
