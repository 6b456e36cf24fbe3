import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// `pnpm dev`: hot reload on :5173, the management API proxied to the admin app (ADMIN_URL, :3000 by default).
export default defineConfig({
  plugins: [react()],
  server: { port: 5173, proxy: { '/admin/api': { target: process.env.ADMIN_URL ?? 'http://127.0.0.1:3000', changeOrigin: false } } },
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 1500 },
});
