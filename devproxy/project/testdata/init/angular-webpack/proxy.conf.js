// Angular CLI proxy configuration (see angular.io/guide/build#proxying-to-a-backend-server)
const PROXY_CONFIG = [
  {
    context: ['/api', '/graphql'],
    target: 'http://localhost:5000',
    secure: false,
  },
  {
    context: ['/files'],
    target: 'http://localhost:5001',
    pathRewrite: { '^/files': '' },
  },
];

module.exports = PROXY_CONFIG;
