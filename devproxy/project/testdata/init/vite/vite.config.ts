import { defineConfig } from 'vite'
import react from '@vitejs/plugin-react'

// https://vitejs.dev/config/
export default defineConfig({
  plugins: [react()],
  server: {
    port: 5174,
    proxy: {
      // string shorthand: /api/users -> http://localhost:8080/api/users
      '/api': 'http://localhost:8080',
      '/auth': {
        target: 'http://127.0.0.1:9000',
        changeOrigin: true,
        rewrite: (path) => path.replace(/^\/auth/, ''),
      },
      '^/fallback/.*': 'http://localhost:7000',
      '/socket.io': { target: 'ws://localhost:5000', ws: true },
    },
  },
})
