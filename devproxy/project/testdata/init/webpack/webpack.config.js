const path = require('path');

module.exports = {
  entry: './src/index.js',
  output: { path: path.resolve(__dirname, 'dist'), filename: 'bundle.js' },
  devServer: {
    port: 8081,
    hot: true,
    historyApiFallback: true,
    proxy: [
      {
        context: ['/api', '/graphql'],
        target: 'http://localhost:4000',
      },
      {
        context: ['/legacy'],
        target: 'http://localhost:4001',
        pathRewrite: { '^/legacy': '' },
        changeOrigin: true,
      },
    ],
  },
};
