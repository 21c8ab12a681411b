/** jira-client and postman-request ship no types; the adapter narrows what it uses itself. */
declare module 'jira-client' {
  const JiraApi: unknown;
  export default JiraApi;
}
declare module 'postman-request' {
  const request: unknown;
  export default request;
}
