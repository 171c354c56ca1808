// The root router: every router named in DESIGN §4.2. Routers with no procedures yet are filled by later steps.
import { router } from "./init";
import { auditRouter } from "./routers/audit";
import { catalogRouter } from "./routers/catalog";
import { computersRouter } from "./routers/computers";
import { deploymentsRouter } from "./routers/deployments";
import { enrollmentRouter } from "./routers/enrollment";
import { selfServiceRouter } from "./routers/self-service";
import { smartGroupsRouter } from "./routers/smart-groups";
import { systemRouter } from "./routers/system";
import { usersRouter } from "./routers/users";

export const appRouter = router({
  computers: computersRouter,
  smartGroups: smartGroupsRouter,
  catalog: catalogRouter,
  deployments: deploymentsRouter,
  selfService: selfServiceRouter,
  enrollment: enrollmentRouter,
  system: systemRouter,
  users: usersRouter,
  audit: auditRouter,
});

export type AppRouter = typeof appRouter;
