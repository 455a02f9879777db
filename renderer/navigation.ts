/** Where the person is in the app. Each screen adds its own route here and a case in screens/screen-router.tsx. */
export type Route = { screen: 'connect' };

export const HOME: Route = { screen: 'connect' };
