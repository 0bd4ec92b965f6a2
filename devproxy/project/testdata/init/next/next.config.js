/** @type {import('next').NextConfig} */
const nextConfig = {
  async rewrites() {
    return [
      { source: '/api/:path*', destination: 'http://localhost:8000/api/:path*' },
      { source: '/cms/:slug*', destination: 'http://localhost:1337/:slug*' },
      { source: '/about', destination: '/about-us' },
    ];
  },
};

module.exports = nextConfig;
